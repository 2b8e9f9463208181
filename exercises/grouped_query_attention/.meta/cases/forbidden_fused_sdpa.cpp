// expect: forbidden_call
// why: the kv heads are repeated correctly, but LibTorch 1.13's private fused op then does the attention in one call: the values are right, yet the attention is the exercise, so the judge rejects it by the symbol it links to
#include "grouped_query_attention.h"

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t group = q.size(1) / k.size(1);
  auto keys = k.repeat_interleave(group, 1), values = v.repeat_interleave(group, 1);
  auto [out, weights] = at::_scaled_dot_product_attention(q, keys, values, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                          /*need_attn_weights=*/false, /*is_causal=*/causal);
  return out;
}

}  // namespace kata

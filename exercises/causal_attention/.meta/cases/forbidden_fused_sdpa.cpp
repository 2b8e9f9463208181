// expect: forbidden_call
// why: LibTorch 1.13's private fused op computes causal attention in one call: correct values, but it is
//      the exercise itself, so the judge rejects it by the symbol it links to, however it is spelled
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto [out, weights] = at::_scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                          /*need_attn_weights=*/false, /*is_causal=*/true);
  return out;
}
}  // namespace kata

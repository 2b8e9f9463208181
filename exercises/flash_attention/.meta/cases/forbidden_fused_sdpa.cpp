// expect: forbidden_call
// why: LibTorch 1.13's private fused attention op returns the right output in one call (and the log-sum-exp follows from the scores), but the blocked online softmax is the exercise, so the judge rejects the op by the symbol it links to
#include "flash_attention.h"

#include <cmath>

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  auto [out, weights] = at::_scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                          /*need_attn_weights=*/false, /*is_causal=*/causal);
  auto s = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  return {out, torch::logsumexp(s, -1)};
}

}  // namespace kata

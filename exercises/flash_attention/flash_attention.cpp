// Your solution: implement kata::flash_attention as README.md and flash_attention.h describe.
// Judge it with: ./kata judge flash_attention
#include "flash_attention.h"

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  // q, k, v: (B, H, T, D). Visit the keys and values block_size positions at a time.
  // TODO: running max m, running sum l and output accumulator acc per query, rescaled as m grows
  return {torch::zeros_like(q), torch::zeros(q.sizes().slice(0, 3), q.options())};  // TODO: replace
}

}  // namespace kata

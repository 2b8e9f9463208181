// expect: wrong_answer CausalAttention.OutputFloat64
// why: a wrong solution that registers passing tests under the hidden checks' names: they land in the
//      worker's own registry, and the checker runs only its own
#include "causal_attention.h"

#include <gtest/gtest.h>

TEST(CausalAttention, OutputFloat64) { SUCCEED(); }
TEST(CausalAttention, GradientsQKV) { SUCCEED(); }

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

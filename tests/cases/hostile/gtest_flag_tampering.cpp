// expect: wrong_answer CausalAttention.OutputFloat64
// why: a wrong solution that sets GoogleTest's filter and environment to skip every check: the checker's
//      flags are its own
#include "causal_attention.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace {
const bool tampered = [] {
  ::testing::GTEST_FLAG(filter) = "-*";
  setenv("GTEST_FILTER", "-*", 1);
  return true;
}();
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

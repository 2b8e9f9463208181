// expect: wrong_answer CausalAttention.OutputFloat64
// why: a wrong solution that installs a GoogleTest listener swallowing failures: it runs in the worker,
//      where no check runs, so the checker's verdict stands
#include "causal_attention.h"

#include <gtest/gtest.h>

namespace {
struct Swallow : ::testing::EmptyTestEventListener {};
const bool installed = [] {
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_result_printer());
  listeners.Append(new Swallow);
  return true;
}();
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

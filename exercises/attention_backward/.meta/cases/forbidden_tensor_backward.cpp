// expect: forbidden_call
// why: out.backward(grad_out) on a recomputed forward, then reads the leaves' .grad(): autograd again, spelled as a method
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  torch::AutoGradMode enable(true);
  auto q_ = q.detach().clone().requires_grad_(true);
  auto k_ = k.detach().clone().requires_grad_(true);
  auto v_ = v.detach().clone().requires_grad_(true);
  const int64_t T = q.size(2);
  auto s = torch::matmul(q_, k_.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  torch::matmul(torch::softmax(s, -1), v_).backward(grad_out);
  return {q_.grad(), k_.grad(), v_.grad()};
}

}  // namespace kata

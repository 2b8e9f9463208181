// expect: forbidden_call
// why: reruns the forward on copies that require grad and asks torch::autograd::grad for the three gradients: right values, but the exercise is the backward by hand
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  torch::AutoGradMode enable(true);
  auto q_ = q.detach().requires_grad_(true), k_ = k.detach().requires_grad_(true), v_ = v.detach().requires_grad_(true);
  const int64_t T = q.size(2);
  auto s = torch::matmul(q_, k_.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  auto out = torch::matmul(torch::softmax(s, -1), v_);
  auto grads = torch::autograd::grad({out}, {q_, k_, v_}, {grad_out});
  return {grads[0], grads[1], grads[2]};
}

}  // namespace kata

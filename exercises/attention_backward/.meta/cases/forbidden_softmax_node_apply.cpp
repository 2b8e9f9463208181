// expect: forbidden_call
// why: does the matmuls by hand but runs the softmax step through autograd's own node, (*p.grad_fn())({dp}), which skips the engine yet is still autograd's backward: the judge rejects grad_fn() by name
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  torch::AutoGradMode enable(true);
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto s = (torch::matmul(q, k.transpose(-2, -1)) * scale).detach();
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  s.requires_grad_(true);
  auto p = torch::softmax(s, -1);
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = (*p.grad_fn())({dp})[0];  // SoftmaxBackward0, called directly
  p = p.detach();
  return {torch::matmul(ds, k) * scale, torch::matmul(ds.transpose(-2, -1), q) * scale,
          torch::matmul(p.transpose(-2, -1), grad_out)};
}

}  // namespace kata

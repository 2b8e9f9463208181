// expect: forbidden_call
// why: does the matmuls and the loss by hand but runs the activation step through autograd's own node, (*h.grad_fn())({dh}): no engine and no torch::autograd::grad, yet it is autograd's backward; the judge rejects grad_fn() by name
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  torch::AutoGradMode enable(true);
  auto z = (torch::matmul(x, w1.t()) + b1).detach().requires_grad_(true);
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto pred = torch::matmul(h.detach(), w2.t()) + b2;
  auto err = pred - y;
  auto dpred = 2 * err / err.numel();
  auto dh = torch::matmul(dpred, w2);
  auto dz = (*h.grad_fn())({dh})[0];
  return {err.pow(2).mean(), torch::matmul(dz.t(), x), dz.sum(0), torch::matmul(dpred.t(), h.detach()), dpred.sum(0)};
}

}  // namespace kata

// expect: forbidden_call
// why: reruns the forward on copies of the parameters that require grad, calls loss.backward() and reads their .grad(): right values, but the exercise is the backward by hand
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  torch::AutoGradMode enable(true);
  auto p1 = w1.detach().clone().requires_grad_(true), c1 = b1.detach().clone().requires_grad_(true);
  auto p2 = w2.detach().clone().requires_grad_(true), c2 = b2.detach().clone().requires_grad_(true);
  auto z = torch::linear(x, p1, c1);
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto loss = torch::mse_loss(torch::linear(h, p2, c2), y);
  loss.backward();
  return {loss.detach(), p1.grad(), c1.grad(), p2.grad(), c2.grad()};
}

}  // namespace kata

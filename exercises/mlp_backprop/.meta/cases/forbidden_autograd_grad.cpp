// expect: forbidden_call
// why: asks torch::autograd::grad for the four gradients of a recomputed forward: autograd again, as a function
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  torch::AutoGradMode enable(true);
  std::vector<torch::Tensor> p = {w1.detach().requires_grad_(true), b1.detach().requires_grad_(true),
                                  w2.detach().requires_grad_(true), b2.detach().requires_grad_(true)};
  auto z = torch::linear(x, p[0], p[1]);
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto loss = torch::mse_loss(torch::linear(h, p[2], p[3]), y);
  auto g = torch::autograd::grad({loss}, p);
  return {loss.detach(), g[0], g[1], g[2], g[3]};
}

}  // namespace kata

// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: squared errors summed instead of averaged (no 1 / (N * out))
// why: torch::mse_loss's default reduction is the mean over all N * out elements: loss = sum((pred - y)^2) / (N * out), and dL/dpred = 2 (pred - y) / (N * out). A sum makes the loss and every gradient N * out times too large, so the learning rate would have to shrink with the batch size
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  auto z = torch::matmul(x, w1.t()) + b1;
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto pred = torch::matmul(h, w2.t()) + b2;
  auto err = pred - y;
  auto loss = err.pow(2).sum();
  auto dpred = 2 * err;
  auto dw2 = torch::matmul(dpred.t(), h);
  auto db2 = dpred.sum(0);
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto act_grad = activation == "relu" ? (z > 0).to(z.scalar_type()) : gelu_grad;
  auto dz = dh * act_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), dw2, db2};
}

}  // namespace kata

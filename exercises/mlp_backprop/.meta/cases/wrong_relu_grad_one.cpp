// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: ReLU derivative taken as 1 everywhere (the backward skips the ReLU)
// why: ReLU passes no gradient where it output 0: relu'(z) = 1 for z > 0 and 0 for z <= 0, so dz = dh * (z > 0); treating it as the identity in the backward sends gradient to units (and weights) that had no effect on the loss
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  auto z = torch::matmul(x, w1.t()) + b1;
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto pred = torch::matmul(h, w2.t()) + b2;
  auto err = pred - y;
  auto loss = err.pow(2).mean();
  auto dpred = 2 * err / err.numel();
  auto dw2 = torch::matmul(dpred.t(), h);
  auto db2 = dpred.sum(0);
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto dz = activation == "relu" ? dh : dh * gelu_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), dw2, db2};
}

}  // namespace kata

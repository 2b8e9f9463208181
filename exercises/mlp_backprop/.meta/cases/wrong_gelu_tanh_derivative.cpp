// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: derivative of the tanh-approximate GELU instead of the exact (erf) one
// why: the forward is torch::gelu's default, the exact z Phi(z) with Phi from erf; the tanh formula 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) is a different function (off by up to ~1e-3 in the derivative), and so is its derivative: use Phi(z) + z phi(z), phi(z) = exp(-z^2/2) / sqrt(2 pi)
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
  torch::Tensor act_grad;
  if (activation == "relu") {
    act_grad = (z > 0).to(z.scalar_type());
  } else {
    const double c = std::sqrt(2.0 / M_PI);
    auto t = torch::tanh(c * (z + 0.044715 * z.pow(3)));
    act_grad = 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z);
  }
  auto dz = dh * act_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), dw2, db2};
}

}  // namespace kata

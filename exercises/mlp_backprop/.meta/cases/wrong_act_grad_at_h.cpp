// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: activation derivative evaluated at h = act(z) instead of at z
// why: the chain rule needs act'(z), at the pre-activation the activation was applied to; act'(h) is act' at the wrong point. ReLU hides it (h > 0 exactly where z > 0) but GELU shows it: keep z from the forward and use Phi(z) + z phi(z)
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
  auto u = h;  // the activation's output, taken for its input
  auto gelu_grad = 0.5 * (1 + torch::erf(u / std::sqrt(2.0))) + u * torch::exp(-u * u / 2) / std::sqrt(2 * M_PI);
  auto act_grad = activation == "relu" ? (u > 0).to(u.scalar_type()) : gelu_grad;
  auto dz = dh * act_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), dw2, db2};
}

}  // namespace kata

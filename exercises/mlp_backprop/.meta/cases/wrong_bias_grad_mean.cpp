// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: bias gradients averaged over the batch instead of summed
// why: every example adds the bias, so its gradient is the sum over the batch of dL/dpred (or dL/dz); the 1 / (N * out) of the mean is already inside dpred, and averaging again divides db1 and db2 by N a second time: db2 = dpred.sum(0), db1 = dz.sum(0)
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
  auto db2 = dpred.mean(0);
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto act_grad = activation == "relu" ? (z > 0).to(z.scalar_type()) : gelu_grad;
  auto dz = dh * act_grad;
  return {loss, torch::matmul(dz.t(), x), dz.mean(0), dw2, db2};
}

}  // namespace kata

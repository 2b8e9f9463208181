// expect: wrong_answer MlpBackprop.LossAndGradsFloat64
// mistake: weight gradients transposed (x^T dz and h^T dpred)
// why: a gradient has its parameter's shape: w1 is [hidden, in] and z = x w1^T, so dw1 = dz^T x ([hidden, N] x [N, in]); x^T dz is its transpose, [in, hidden], and likewise dw2 = dpred^T h, not h^T dpred; an optimiser step w1 -= lr * dw1 then fails on the shapes, or, in a square layer, silently steps along the transpose
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
  auto dw2 = torch::matmul(h.t(), dpred);
  auto db2 = dpred.sum(0);
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto act_grad = activation == "relu" ? (z > 0).to(z.scalar_type()) : gelu_grad;
  auto dz = dh * act_grad;
  return {loss, torch::matmul(x.t(), dz), dz.sum(0), dw2, db2};
}

}  // namespace kata

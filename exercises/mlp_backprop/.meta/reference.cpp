#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  const bool relu = activation == "relu";
  TORCH_CHECK(relu || activation == "gelu", "activation must be \"relu\" or \"gelu\", got \"", activation, "\"");

  // forward
  auto z = torch::matmul(x, w1.t()) + b1;           // (N, H) pre-activation
  auto h = relu ? torch::relu(z) : torch::gelu(z);  // (N, H) exact erf GELU
  auto pred = torch::matmul(h, w2.t()) + b2;        // (N, O)
  auto err = pred - y;                              // (N, O)
  auto loss = err.pow(2).mean();                    // () mean over all N * O elements

  // backward
  auto dpred = err * (2.0 / static_cast<double>(err.numel()));  // (N, O) dL/dpred
  auto dw2 = torch::matmul(dpred.t(), h);                       // (O, H)
  auto db2 = dpred.sum(/*dim=*/0);                              // (O,)
  auto dh = torch::matmul(dpred, w2);                           // (N, H)
  torch::Tensor act_grad;                                       // (N, H) act'(z), at the pre-activation
  if (relu) {
    act_grad = (z > 0).to(z.scalar_type());  // ReLU'(0) = 0
  } else {
    auto cdf = 0.5 * (1.0 + torch::erf(z * M_SQRT1_2));                    // Phi(z)
    auto pdf = torch::exp(-0.5 * z * z) * (0.5 * M_2_SQRTPI * M_SQRT1_2);  // phi(z) = exp(-z^2/2) / sqrt(2 pi)
    act_grad = cdf + z * pdf;                                              // d/dz z Phi(z)
  }
  auto dz = dh * act_grad;              // (N, H)
  auto dw1 = torch::matmul(dz.t(), x);  // (H, I)
  auto db1 = dz.sum(/*dim=*/0);         // (H,)
  return {loss, dw1, db1, dw2, db2};
}

}  // namespace kata

// expect: forbidden_call
// why: the loss's gradient from huber_loss_backward with a delta larger than any error, where the Huber loss is half the squared error: doubled, it is mse_loss_backward under another name
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  auto z = torch::matmul(x, w1.t()) + b1;
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto pred = torch::matmul(h, w2.t()) + b2;
  auto loss = torch::mse_loss(pred, y);
  auto one = torch::ones({}, pred.options());
  auto dpred = 2 * at::huber_loss_backward(one, pred, y, at::Reduction::Mean, /*delta=*/1e30);
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto act_grad = activation == "relu" ? (z > 0).to(z.scalar_type()) : gelu_grad;
  auto dz = dh * act_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), torch::matmul(dpred.t(), h), dpred.sum(0)};
}

}  // namespace kata

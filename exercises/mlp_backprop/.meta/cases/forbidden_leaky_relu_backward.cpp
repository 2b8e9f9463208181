// expect: forbidden_call
// why: ReLU's derivative from the backward op of another activation set to behave like ReLU (leaky_relu with a slope of 0): the same mask, still LibTorch's backward
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
  auto dh = torch::matmul(dpred, w2);
  auto gelu_grad = 0.5 * (1 + torch::erf(z / std::sqrt(2.0))) + z * torch::exp(-z * z / 2) / std::sqrt(2 * M_PI);
  auto dz = activation == "relu" ? at::leaky_relu_backward(dh, z, /*negative_slope=*/0.0, /*self_is_result=*/false)
                                 : dh * gelu_grad;
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), torch::matmul(dpred.t(), h), dpred.sum(0)};
}

}  // namespace kata

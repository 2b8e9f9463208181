// Your solution: implement kata::layer_norm and kata::rms_norm as README.md and layer_norm.h describe.
// Judge it with: ./kata judge layer_norm
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  // x: (..., d); weight, bias: (d)
  // TODO: mean and biased variance over the last dim, (x - mean) / sqrt(var + eps), then * weight + bias
  return torch::zeros_like(x);
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  // x: (..., d); weight: (d)
  // TODO: x / sqrt(mean(x^2) over the last dim + eps) * weight, no mean subtracted
  return torch::zeros_like(x);
}

}  // namespace kata

// expect: accepted
// why: torch::var_mean with unbiased=false gives both statistics in one call (Welford's algorithm inside), and eps is added before a sqrt and a division; RMSNorm divides by sqrt of the mean of x.square()
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto [var, mean] = torch::var_mean(x, /*dim=*/{-1}, /*unbiased=*/false, /*keepdim=*/true);
  return torch::addcmul(bias, (x - mean) / torch::sqrt(var + eps), weight);
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return weight * x / torch::sqrt(x.square().mean(/*dim=*/-1, /*keepdim=*/true) + eps);
}

}  // namespace kata

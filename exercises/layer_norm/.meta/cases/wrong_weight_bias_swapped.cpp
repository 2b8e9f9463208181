// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: weight and bias swapped (x_hat * bias + weight)
// why: weight (gamma, initialised to ones) scales the normalised x and bias (beta, initialised to zeros) shifts it: x_hat * weight + bias; with the initial values the swap gives weight + 0 = ones everywhere
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  auto x_hat = (x - mean) * torch::rsqrt(var + eps);
  return x_hat * bias + weight;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

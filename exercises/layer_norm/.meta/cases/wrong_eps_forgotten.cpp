// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: eps left out
// why: eps is part of the definition, not only a guard against dividing by zero: with it the output is (x - mean) / sqrt(var + eps) (x / sqrt(mean(x^2) + eps) for RMSNorm), slightly smaller than without, and a row of equal values gives bias, where without eps it is 0 / 0 = NaN; add eps under the square root
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true)) * weight;
}

}  // namespace kata

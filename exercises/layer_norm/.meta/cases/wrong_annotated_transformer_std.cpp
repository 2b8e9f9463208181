// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: unbiased std plus eps (The Annotated Transformer's LayerNorm)
// why: (x - mean) / (x.std(-1) + eps), as The Annotated Transformer writes it, makes two changes to torch::layer_norm: std divides by d - 1, and eps is added to the standard deviation rather than to the variance; use (x - mean) / sqrt(var + eps) with the biased variance
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto std = x.std(-1, /*unbiased=*/true, /*keepdim=*/true);
  return weight * (x - mean) / (std + eps) + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: eps added outside the square root (sqrt(var) + eps)
// why: torch::layer_norm and LLaMA's RMSNorm add eps to the variance (the mean square) and then take the root: (x - mean) / sqrt(var + eps), x / sqrt(mean(x^2) + eps); sqrt(var) + eps is another normaliser, off by about eps / (2 var) relative
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  return (x - mean) / (torch::sqrt(var) + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x / (torch::sqrt(x.pow(2).mean(-1, /*keepdim=*/true)) + eps) * weight;
}

}  // namespace kata

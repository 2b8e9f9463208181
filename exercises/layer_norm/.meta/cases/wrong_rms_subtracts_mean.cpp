// expect: wrong_answer RmsNorm.OutputFloat64
// mistake: RMSNorm subtracts the mean (a LayerNorm without bias)
// why: RMSNorm drops LayerNorm's centring on purpose: it divides x itself by its root mean square, x / sqrt(mean(x^2) + eps) * weight; centring first gives LayerNorm's output, which differs whenever a row's mean is not 0
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto centred = x - x.mean(-1, /*keepdim=*/true);
  return centred * torch::rsqrt(centred.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

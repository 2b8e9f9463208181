// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: unbiased variance (divided by d - 1)
// why: x.var(-1) divides by d - 1 unless told otherwise (Bessel's correction); LayerNorm, as torch::layer_norm computes it, divides by d: x.var(-1, /*unbiased=*/false, /*keepdim=*/true), or (x - mean).pow(2).mean(-1, true)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = x.var(-1, /*unbiased=*/true, /*keepdim=*/true);
  return (x - mean) / torch::sqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

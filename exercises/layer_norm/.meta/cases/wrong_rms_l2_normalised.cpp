// expect: wrong_answer RmsNorm.OutputFloat64
// mistake: RMSNorm as L2 normalisation (divided by the norm, not the rms)
// why: the norm sqrt(sum(x^2)) is sqrt(d) times the root mean square sqrt(mean(x^2)), so normalize(x) is sqrt(d) times too small (and eps sits elsewhere); divide by sqrt(mean(x^2) + eps)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  namespace F = torch::nn::functional;
  return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(-1).eps(eps)) * weight;
}

}  // namespace kata

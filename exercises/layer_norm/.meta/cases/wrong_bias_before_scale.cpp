// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: bias added before the scale ((x_hat + bias) * weight)
// why: the affine step is x_hat * weight + bias: the bias is added after scaling, so it is not multiplied by weight; (x_hat + bias) * weight adds bias * weight instead
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true);
  auto x_hat = (x - mean) * torch::rsqrt(var + eps);
  return (x_hat + bias) * weight;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

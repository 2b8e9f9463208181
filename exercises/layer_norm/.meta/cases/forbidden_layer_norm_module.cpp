// expect: forbidden_call
// why: a torch::nn::LayerNorm module without its own affine parameters, then weight and bias by hand: the module runs LibTorch's layer_norm inside (torch::nn::LayerNormImpl)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  torch::nn::LayerNorm norm(torch::nn::LayerNormOptions({x.size(-1)}).eps(eps).elementwise_affine(false));
  return norm(x) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

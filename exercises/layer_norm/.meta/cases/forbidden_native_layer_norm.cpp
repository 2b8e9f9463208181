// expect: forbidden_call
// why: at::native_layer_norm, the kernel torch::layer_norm dispatches to, returns (output, mean, rstd): the same op by its private name
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  return std::get<0>(at::native_layer_norm(x, {x.size(-1)}, weight, bias, eps));
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

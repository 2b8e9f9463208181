// expect: runtime_error
// why: x.var(-1, true) reads as "keepdim" but LibTorch's second argument is unbiased (keepdim comes third): the variance loses its last dim, [..., d] minus [...] cannot broadcast, and LibTorch throws a size mismatch; write x.var(-1, /*unbiased=*/false, /*keepdim=*/true)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = x.var(-1, true);  // meant: keepdim
  return (x - mean) / torch::sqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

// expect: forbidden_call
// why: group_norm with one group and one channel normalises each row over its d values, LayerNorm's statistics exactly; the affine step is done by hand, but the normalisation is LibTorch's
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t d = x.size(-1);
  auto normed = torch::group_norm(x.reshape({-1, 1, d}), /*num_groups=*/1, /*weight=*/{}, /*bias=*/{}, eps);
  return normed.reshape(x.sizes()) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

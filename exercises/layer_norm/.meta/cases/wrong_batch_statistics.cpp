// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: statistics over the batch (dim 0), as BatchNorm takes them
// why: BatchNorm averages each feature over the batch; LayerNorm and RMSNorm average each vector over its own features, the last dim: mean(-1, /*keepdim=*/true), so no row depends on another
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(0, /*keepdim=*/true);
  auto var = (x - mean).pow(2).mean(0, /*keepdim=*/true);
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(0, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

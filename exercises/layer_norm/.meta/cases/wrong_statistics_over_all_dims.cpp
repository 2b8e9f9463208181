// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: statistics over the whole tensor
// why: x.mean() with no dim averages every element of the batch into one number; each vector needs its own statistics over the last dim: x.mean(-1, /*keepdim=*/true) gives [..., 1], which broadcasts back
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean();
  auto var = (x - mean).pow(2).mean();
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean() + eps) * weight;
}

}  // namespace kata

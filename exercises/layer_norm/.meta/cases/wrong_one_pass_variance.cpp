// expect: wrong_answer LayerNorm.LargeOffsetFloat64
// mistake: one-pass variance mean(x^2) - mean(x)^2
// why: algebraically right, but for values far from zero it subtracts two nearly equal large numbers (about 1e8 each for x near 1e4) and loses about half of the digits; subtract the mean first and average the squares, mean((x - mean)^2) (fused kernels use Welford's update for the same reason)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true);
  auto var = (x * x).mean(-1, /*keepdim=*/true) - mean * mean;
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

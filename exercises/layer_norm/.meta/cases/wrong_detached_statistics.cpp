// expect: wrong_answer LayerNorm.Gradients
// mistake: statistics detached (treated as constants in backprop)
// why: the output is right, but the mean and the variance (the mean square) depend on x: detaching them drops their terms from dL/dx (for LayerNorm, the ones that make each row's gradient sum to 0); keep them in the graph
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(-1, /*keepdim=*/true).detach();
  auto var = (x - mean).pow(2).mean(-1, /*keepdim=*/true).detach();
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto inv_rms = torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps).detach();
  return x * inv_rms * weight;
}

}  // namespace kata

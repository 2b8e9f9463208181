// expect: accepted
// why: LayerNorm is RMSNorm of the centred x, plus the bias: the mean square of x - mean is the biased variance; the mean square itself as an einsum of x with itself
#include "layer_norm.h"

namespace kata {

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto mean_square = torch::einsum("...d,...d->...", {x, x}).unsqueeze(-1) / x.size(-1);  // (..., 1)
  return x * (mean_square + eps).rsqrt() * weight;
}

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  return rms_norm(x - x.mean(/*dim=*/-1, /*keepdim=*/true), weight, eps) + bias;
}

}  // namespace kata

#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto mean = x.mean(/*dim=*/-1, /*keepdim=*/true);                      // (..., 1)
  auto xc = x - mean;                                                    // (..., d)
  auto var = xc.pow(2).mean(/*dim=*/-1, /*keepdim=*/true);               // (..., 1) biased: / d, not / (d - 1)
  return xc * torch::rsqrt(var + eps) * weight + bias;                   // eps inside the sqrt; (d) broadcasts
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto ms = x.pow(2).mean(/*dim=*/-1, /*keepdim=*/true);                 // (..., 1) mean square, no centring
  return x * torch::rsqrt(ms + eps) * weight;                            // (..., d)
}

}  // namespace kata

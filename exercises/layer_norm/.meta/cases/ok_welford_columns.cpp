// expect: accepted
// why: one pass over the features with Welford's update, as a fused kernel does (no mean(x^2) - mean^2 cancellation): the running mean and the running sum of squared deviations, one column at a time, with differentiable tensor ops
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t d = x.size(-1);
  auto mean = torch::zeros_like(x.narrow(-1, 0, 1));  // (..., 1)
  auto m2 = torch::zeros_like(mean);                    // sum of squared deviations so far
  for (int64_t i = 0; i < d; ++i) {
    auto xi = x.narrow(-1, i, 1);
    auto delta = xi - mean;
    mean = mean + delta / static_cast<double>(i + 1);
    m2 = m2 + delta * (xi - mean);
  }
  auto inv_std = 1.0 / torch::sqrt(m2 / static_cast<double>(d) + eps);
  return (x - mean) * inv_std * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto sum_squares = torch::zeros_like(x.narrow(-1, 0, 1));
  for (int64_t i = 0; i < x.size(-1); ++i) sum_squares = sum_squares + x.narrow(-1, i, 1).pow(2);
  return x * torch::rsqrt(sum_squares / static_cast<double>(x.size(-1)) + eps) * weight;
}

}  // namespace kata

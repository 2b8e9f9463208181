// expect: wrong_answer LayerNorm.OutputFloat64
// mistake: normalised in float32 (LLaMA's x.float()), cast back
// why: Meta's RMSNorm computes self._norm(x.float()).type_as(x) so that float16 inputs normalise in float32; here a float64 input is rounded to float32 (about 1e-7 relative). Compute in x's dtype: it is already float32 or float64
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto xf = x.to(torch::kFloat32);
  auto mean = xf.mean(-1, /*keepdim=*/true);
  auto var = (xf - mean).pow(2).mean(-1, /*keepdim=*/true);
  auto x_hat = ((xf - mean) * torch::rsqrt(var + eps)).to(x.scalar_type());
  return x_hat * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto xf = x.to(torch::kFloat32);
  auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return normed.to(x.scalar_type()) * weight;
}

}  // namespace kata

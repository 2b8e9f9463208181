// expect: wrong_answer Ddpm.QSampleFloat32
// mistake: q_sample returns float64 for float32 inputs
// why: alpha_bar is float64, and a float64 coefficient tensor of shape [B, 1, ..] times a float32 x0 is promoted to float64; cast the coefficients to x0's dtype (.to(x0.scalar_type())) before multiplying
#include "ddpm.h"

#include <cmath>

namespace kata {

torch::Tensor linear_betas(int64_t T, double beta_1, double beta_T) {
  return torch::linspace(beta_1, beta_T, /*steps=*/T, torch::kFloat64);  // (T,)
}

torch::Tensor cosine_betas(int64_t T) {
  const double s = 0.008;
  auto u = torch::arange(/*end=*/T + 1, torch::kFloat64);                       // (T+1,) 0 .. T
  auto f = torch::cos((u / T + s) / (1 + s) * M_PI / 2).pow(2);                 // (T+1,) unnormalised alpha_bar
  auto betas = 1 - f.slice(/*dim=*/0, /*start=*/1) / f.slice(/*dim=*/0, 0, T);  // (T,)
  return betas.clamp_max(0.999);                                                // (T,)
}

// A per-timestep coefficient picked for each batch element and shaped to broadcast over x's other dims.
static torch::Tensor per_element(const torch::Tensor& coef, const torch::Tensor& t, const torch::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  return coef.index_select(/*dim=*/0, t).view(shape);  // (B, 1, ..., 1), float64 like the schedule
}

torch::Tensor q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise,
                       const torch::Tensor& alpha_bar) {
  auto ab = alpha_bar.to(torch::kFloat64);                                // (T,)
  auto signal = per_element(ab.sqrt(), t, x0);                            // (B, 1, ..., 1)
  auto noise_scale = per_element((1 - ab).sqrt(), t, x0);                 // (B, 1, ..., 1)
  return signal * x0 + noise_scale * noise;                               // (B, ...)
}

torch::Tensor ddpm_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, const torch::Tensor& betas,
                        const torch::Tensor& z, bool posterior_variance) {
  auto alpha_bar = torch::cumprod(1 - betas.to(torch::kFloat64), /*dim=*/0);  // (T,)
  const double beta = betas[t].item<double>();
  const double ab = alpha_bar[t].item<double>();
  const double ab_prev = t > 0 ? alpha_bar[t - 1].item<double>() : 1.0;
  auto mean = (x_t - beta / std::sqrt(1 - ab) * eps) / std::sqrt(1 - beta);  // (B, ...)
  if (t == 0) return mean;                                                    // no noise at the last step
  const double var = posterior_variance ? (1 - ab_prev) / (1 - ab) * beta : beta;
  return mean + std::sqrt(var) * z;  // (B, ...)
}

torch::Tensor ddim_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, int64_t t_prev,
                        const torch::Tensor& alpha_bar) {
  const double ab = alpha_bar[t].item<double>();
  const double ab_prev = t_prev >= 0 ? alpha_bar[t_prev].item<double>() : 1.0;
  auto x0_pred = (x_t - std::sqrt(1 - ab) * eps) / std::sqrt(ab);  // (B, ...)
  return std::sqrt(ab_prev) * x0_pred + std::sqrt(1 - ab_prev) * eps;  // (B, ...)
}

}  // namespace kata

// Your solution: implement the five functions of ddpm.h as README.md describes. Judge it with: ./kata judge ddpm
#include "ddpm.h"

namespace kata {

torch::Tensor linear_betas(int64_t T, double beta_1, double beta_T) {
  // TODO: T values from beta_1 to beta_T inclusive, float64 [T]
  return torch::zeros({T}, torch::kFloat64);  // TODO: replace
}

torch::Tensor cosine_betas(int64_t T) {
  // TODO: f(u) = cos(((u / T + s) / (1 + s)) * pi / 2)^2 with s = 0.008; betas[t] = min(1 - f(t+1) / f(t), 0.999)
  return torch::zeros({T}, torch::kFloat64);  // TODO: replace
}

torch::Tensor q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise,
                       const torch::Tensor& alpha_bar) {
  // x0, noise: (B, ...); t: (B,) int64; alpha_bar: (T,) float64.
  // TODO: sqrt(alpha_bar[t[b]]) * x0[b] + sqrt(1 - alpha_bar[t[b]]) * noise[b]
  return x0.clone();  // TODO: replace
}

torch::Tensor ddpm_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, const torch::Tensor& betas,
                        const torch::Tensor& z, bool posterior_variance) {
  // TODO: the posterior mean from eps, plus sigma * z for t >= 1 (sigma^2 = betas[t], or beta tilde)
  return x_t.clone();  // TODO: replace
}

torch::Tensor ddim_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, int64_t t_prev,
                        const torch::Tensor& alpha_bar) {
  // TODO: x0_pred from x_t and eps, then x at t_prev (alpha_bar = 1 when t_prev == -1)
  return x_t.clone();  // TODO: replace
}

}  // namespace kata

// expect: accepted
// why: written another way throughout: the schedules built in plain C++ loops (std::vector<double>, std::cos) and copied into a tensor; q_sample one batch element at a time (x0[b] times a double, stacked back); the DDPM mean through the x0 prediction and the posterior coefficients (sqrt(alpha_bar_prev) beta_t / (1 - alpha_bar_t) on x0_pred, sqrt(alpha_t) (1 - alpha_bar_prev) / (1 - alpha_bar_t) on x_t), which is the same mean algebraically; DDIM as one linear map of x_t and eps with the two coefficients folded
#include "ddpm.h"

#include <cmath>
#include <vector>

namespace kata {

static torch::Tensor from_vector(const std::vector<double>& v) {
  return torch::tensor(v, torch::kFloat64);
}

torch::Tensor linear_betas(int64_t T, double beta_1, double beta_T) {
  std::vector<double> betas(T);
  for (int64_t t = 0; t < T; ++t) betas[t] = T == 1 ? beta_1 : beta_1 + (beta_T - beta_1) * double(t) / double(T - 1);
  return from_vector(betas);
}

torch::Tensor cosine_betas(int64_t T) {
  const double s = 0.008, pi = std::acos(-1.0);
  auto f = [&](int64_t u) {
    double c = std::cos((double(u) / double(T) + s) / (1.0 + s) * pi / 2.0);
    return c * c;
  };
  std::vector<double> betas(T);
  for (int64_t t = 0; t < T; ++t) betas[t] = std::min(1.0 - f(t + 1) / f(t), 0.999);
  return from_vector(betas);
}

static double at(const torch::Tensor& v, int64_t i) { return v[i].item<double>(); }

torch::Tensor q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise,
                       const torch::Tensor& alpha_bar) {
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < x0.size(0); ++b) {
    double ab = at(alpha_bar, t[b].item<int64_t>());
    rows.push_back(std::sqrt(ab) * x0[b] + std::sqrt(1.0 - ab) * noise[b]);
  }
  return torch::stack(rows);
}

torch::Tensor ddpm_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, const torch::Tensor& betas,
                        const torch::Tensor& z, bool posterior_variance) {
  double ab = 1.0, ab_prev = 1.0;
  for (int64_t i = 0; i <= t; ++i) {
    ab_prev = ab;
    ab *= 1.0 - at(betas, i);
  }
  const double beta = at(betas, t), alpha = 1.0 - beta;
  auto x0_pred = (x_t - std::sqrt(1.0 - ab) * eps) / std::sqrt(ab);
  auto mean = (std::sqrt(ab_prev) * beta / (1.0 - ab)) * x0_pred + (std::sqrt(alpha) * (1.0 - ab_prev) / (1.0 - ab)) * x_t;
  if (t == 0) return mean;
  double var = posterior_variance ? beta * (1.0 - ab_prev) / (1.0 - ab) : beta;
  return mean + std::sqrt(var) * z;
}

torch::Tensor ddim_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, int64_t t_prev,
                        const torch::Tensor& alpha_bar) {
  double ab = at(alpha_bar, t);
  double ab_prev = t_prev < 0 ? 1.0 : at(alpha_bar, t_prev);
  double a = std::sqrt(ab_prev / ab);                                   // on x_t
  double c = std::sqrt(1.0 - ab_prev) - std::sqrt(ab_prev * (1.0 - ab) / ab);  // on eps
  return a * x_t + c * eps;
}

}  // namespace kata

// Contract for the ddpm exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_DDPM_H
#define KATA_DDPM_H

#include <torch/torch.h>

namespace kata {
// Conventions shared by every function:
//   Timesteps are 0-based: t = 0 .. T-1, and entry t of a schedule belongs to step t (the paper's t + 1).
//   betas:     [T] float64, betas[t] the variance added at step t.
//   alphas:    alpha[t] = 1 - betas[t].
//   alpha_bar: [T] float64, alpha_bar[t] = alpha[0] * alpha[1] * ... * alpha[t] (a cumulative product), so
//              x_t = sqrt(alpha_bar[t]) * x_0 + sqrt(1 - alpha_bar[t]) * noise. Before step 0 (t = -1) the
//              signal is clean: alpha_bar[-1] = 1 (it is never read from the tensor).
//   x tensors (x0, x_t, eps, noise, z): one shape [B, ...] (B >= 1, any number of further dimensions, possibly
//   none), one dtype, float32 or float64; the result has that shape and dtype (compute the schedule
//   coefficients in float64 and cast them to x's dtype, or cast the schedule first: both are accepted).
//   Inputs may be non-contiguous views and must not be modified. Everything is deterministic: the noise is an
//   argument. No clipping of any value to [-1, 1].

// Linear schedule: betas[t] = beta_1 + (beta_T - beta_1) * t / (T - 1), float64 [T], so betas[0] = beta_1 and
// betas[T-1] = beta_T exactly (torch::linspace). T == 1 gives [beta_1]. T >= 1.
torch::Tensor linear_betas(int64_t T, double beta_1, double beta_T);

// Cosine schedule (Nichol & Dhariwal 2021) with s = 0.008: f(u) = cos(((u / T + s) / (1 + s)) * pi / 2)^2 for
// u = 0 .. T, and betas[t] = min(1 - f(t + 1) / f(t), 0.999) for t = 0 .. T-1, float64 [T]. (f(u) / f(0) is
// the schedule's alpha_bar; the ratio does not need the normalisation.) The last beta is always clipped
// (f(T) is ~0), often nothing else is. T >= 1.
torch::Tensor cosine_betas(int64_t T);

// Forward process: x_t = sqrt(alpha_bar[t[b]]) * x0[b] + sqrt(1 - alpha_bar[t[b]]) * noise[b] for every batch
// element b, the coefficients of element b broadcast over all its other dimensions.
//   x0, noise: [B, ...]; t: [B] int64, each in 0 .. T-1 (its own timestep per element); alpha_bar: [T] float64.
// Differentiable w.r.t. x0 and noise (the gradients are checked).
torch::Tensor q_sample(const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise,
                       const torch::Tensor& alpha_bar);

// One DDPM reverse step from x_t to x_{t-1} (Ho et al. 2020, Algorithm 2), given the model's predicted noise
// eps and a standard normal draw z (both of x_t's shape), one timestep t (0 .. T-1) for the whole batch:
//   alpha_t = 1 - betas[t], alpha_bar_t = prod(1 - betas[0..t]), alpha_bar_prev = alpha_bar at t-1 (1 at t = 0)
//   mean    = (x_t - betas[t] / sqrt(1 - alpha_bar_t) * eps) / sqrt(alpha_t)     (the posterior mean)
//   sigma^2 = betas[t]                                            when posterior_variance is false
//           = (1 - alpha_bar_prev) / (1 - alpha_bar_t) * betas[t]  when it is true (the posterior beta tilde)
//   result  = mean + sigma * z for t >= 1, and mean alone at t = 0 (no noise is added at the last step, with
//             either variance).
// Differentiable w.r.t. x_t, eps and z (checked).
torch::Tensor ddpm_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, const torch::Tensor& betas,
                        const torch::Tensor& z, bool posterior_variance);

// One deterministic DDIM step (Song et al. 2021, eta = 0) from timestep t to an earlier t_prev, given the
// predicted noise eps:
//   x0_pred = (x_t - sqrt(1 - alpha_bar[t]) * eps) / sqrt(alpha_bar[t])      (not clipped)
//   result  = sqrt(alpha_bar_prev) * x0_pred + sqrt(1 - alpha_bar_prev) * eps
// where alpha_bar_prev = alpha_bar[t_prev], and 1 when t_prev == -1 (the result is then x0_pred).
//   t in 0 .. T-1, t_prev in -1 .. t-1 (any earlier step: DDIM skips steps); alpha_bar: [T] float64.
// Differentiable w.r.t. x_t and eps (checked).
torch::Tensor ddim_step(const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, int64_t t_prev,
                        const torch::Tensor& alpha_bar);
}  // namespace kata

#endif

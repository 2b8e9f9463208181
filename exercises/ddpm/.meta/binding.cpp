// The ddpm contract across the trust boundary (see harness/host/binding.h).
#include "ddpm.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, linear_betas, (int64_t T, double beta_1, double beta_T), (T, beta_1, beta_T))
KATA_BIND_FUNCTION(torch::Tensor, cosine_betas, (int64_t T), (T))
KATA_BIND_FUNCTION(torch::Tensor, q_sample,
                   (const torch::Tensor& x0, const torch::Tensor& t, const torch::Tensor& noise,
                    const torch::Tensor& alpha_bar),
                   (x0, t, noise, alpha_bar))
KATA_BIND_FUNCTION(torch::Tensor, ddpm_step,
                   (const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, const torch::Tensor& betas,
                    const torch::Tensor& z, bool posterior_variance),
                   (x_t, eps, t, betas, z, posterior_variance))
KATA_BIND_FUNCTION(torch::Tensor, ddim_step,
                   (const torch::Tensor& x_t, const torch::Tensor& eps, int64_t t, int64_t t_prev,
                    const torch::Tensor& alpha_bar),
                   (x_t, eps, t, t_prev, alpha_bar))

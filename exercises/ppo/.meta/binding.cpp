// The ppo contract across the trust boundary (see harness/host/binding.h).
#include "ppo.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::GaeOutput, c.advantages, c.returns);
KATA_BIND_STRUCT(kata::PpoLoss, c.total, c.policy, c.value, c.entropy, c.approx_kl);

KATA_BIND_FUNCTION(kata::GaeOutput, gae,
                   (const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones,
                    double gamma, double lam),
                   (rewards, values, dones, gamma, lam))
KATA_BIND_FUNCTION(kata::PpoLoss, ppo_loss,
                   (const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                    const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                    double clip_eps, double vf_coef, double ent_coef),
                   (logp_new, logp_old, advantages, values_new, returns, entropy, clip_eps, vf_coef, ent_coef))

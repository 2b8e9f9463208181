#include "ppo.h"

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  torch::NoGradGuard no_grad;                       // targets: no graph back into the critic
  const int64_t T = rewards.size(0);
  auto not_done = 1.0 - dones;                      // (T,) 0 where the episode ended after step t
  auto next_values = values.narrow(/*dim=*/0, /*start=*/1, /*length=*/T);   // (T,) V(s_{t+1})
  auto now_values = values.narrow(/*dim=*/0, /*start=*/0, /*length=*/T);    // (T,) V(s_t)
  auto delta = rewards + gamma * not_done * next_values - now_values;       // (T,) TD errors
  auto advantages = torch::empty({T}, delta.options());                   // (T,)
  auto running = torch::zeros({}, delta.options());                         // () A[t + 1], A[T] = 0
  for (int64_t t = T - 1; t >= 0; --t) {
    running = delta[t] + gamma * lam * not_done[t] * running;               // () reset at an episode end
    advantages[t] = running;
  }
  return {advantages, advantages + now_values};                             // (T,), (T,)
}

PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef) {
  auto log_ratio = logp_new - logp_old;                                     // (N,)
  auto ratio = log_ratio.exp();                                             // (N,) pi_new / pi_old
  auto unclipped = ratio * advantages;                                      // (N,)
  auto clipped = ratio.clamp(1.0 - clip_eps, 1.0 + clip_eps) * advantages; // (N,)
  auto policy = -torch::min(unclipped, clipped).mean();                     // () pessimistic bound, negated
  auto value = (values_new - returns).pow(2).mean();                        // () no 0.5
  auto bonus = entropy.mean();                                              // ()
  auto total = policy + vf_coef * value - ent_coef * bonus;                 // ()
  auto approx_kl = ((ratio - 1.0) - log_ratio).mean().detach();            // () k3, a diagnostic
  return {total, policy, value, bonus, approx_kl};
}

}  // namespace kata

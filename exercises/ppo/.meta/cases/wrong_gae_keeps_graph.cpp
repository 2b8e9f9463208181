// expect: wrong_answer Gae.NoGradient
// mistake: GAE computed with gradients: the advantages carry the critic's graph
// why: with values requiring grad, advantages and returns require grad too, so the policy loss built on them back-propagates into the critic and the value targets move with the critic; compute GAE under torch::NoGradGuard (or from values.detach())
#include "ppo.h"

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  const int64_t T = rewards.size(0);
  auto advantages = torch::zeros_like(rewards);
  auto next_advantage = torch::zeros({}, rewards.options());
  for (int64_t t = T - 1; t >= 0; --t) {
    auto not_done = 1.0 - dones[t];
    auto delta = rewards[t] + gamma * not_done * values[t + 1] - values[t];
    next_advantage = delta + gamma * lam * not_done * next_advantage;
    advantages[t] = next_advantage;
  }
  return {advantages, advantages + values.narrow(0, 0, T)};
}

PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef) {
  const auto& adv = advantages;
  auto log_ratio = logp_new - logp_old;
  auto ratio = log_ratio.exp();
  auto surr1 = ratio * adv;
  auto surr2 = ratio.clamp(1.0 - clip_eps, 1.0 + clip_eps) * adv;
  auto policy = -torch::min(surr1, surr2).mean();
  auto value = (values_new - returns).pow(2).mean();
  auto bonus = entropy.mean();
  auto total = policy + vf_coef * value - ent_coef * bonus;
  auto approx_kl = ((ratio - 1.0) - log_ratio).mean().detach();
  return {total, policy, value, bonus, approx_kl};
}

}  // namespace kata

// expect: wrong_answer Gae.EpisodeEnds
// mistake: done mask read at the wrong index (dones[t + 1] for step t)
// why: CleanRL's loop uses 1 - dones[t + 1] because its dones[t] marks the FIRST step of an episode; here dones[t] = 1 means the episode ended after step t, so step t uses its own flag: not_done[t] = 1 - dones[t]
#include "ppo.h"

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  torch::NoGradGuard no_grad;
  const int64_t T = rewards.size(0);
  auto advantages = torch::zeros_like(rewards);
  auto next_advantage = torch::zeros({}, rewards.options());
  for (int64_t t = T - 1; t >= 0; --t) {
    auto not_done = t + 1 < T ? 1.0 - dones[t + 1] : torch::ones({}, rewards.options());
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

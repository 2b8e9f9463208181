// Your solution: implement kata::gae and kata::ppo_loss as README.md and ppo.h describe.
// Judge it with: ./kata judge ppo
#include "ppo.h"

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  // rewards (T,), values (T + 1,), dones (T,). TODO: delta[t] = r[t] + gamma * (1 - d[t]) * V[t + 1] - V[t];
  // A[t] = delta[t] + gamma * lam * (1 - d[t]) * A[t + 1] backwards from A[T] = 0; returns = A + V[:T]; no grad.
  auto advantages = torch::zeros_like(rewards);  // TODO: replace with the GAE advantages
  return {advantages, advantages.clone()};       // TODO: returns = advantages + values[:T]
}

PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef) {
  // All (N,). TODO: ratio = exp(logp_new - logp_old); policy = -mean(min(ratio * A, clip(ratio) * A));
  // value = mean((values_new - returns)^2); entropy = mean(entropy); total = policy + vf * value - ent * entropy.
  auto zero = (logp_new * 0).sum();  // TODO: replace every part
  return {zero, zero, zero, zero, zero.detach()};
}

}  // namespace kata

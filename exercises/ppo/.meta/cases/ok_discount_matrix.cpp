// expect: accepted
// GAE as one matrix product: A = M @ delta with M[t, s] = prod_{t <= j < s} gamma * lam * (1 - d[j]) (upper
// triangular, each column a reversed cumulative product, in float64); the policy
// loss in its piecewise form: for A >= 0 the ratio is capped at 1 + eps, for A < 0 floored at 1 - eps.
#include "ppo.h"

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  torch::NoGradGuard no_grad;
  const int64_t T = rewards.size(0);
  auto r = rewards.to(torch::kFloat64), v = values.to(torch::kFloat64), d = dones.to(torch::kFloat64);
  auto not_done = 1.0 - d;                                                  // (T,)
  auto delta = r + gamma * not_done * v.slice(0, 1) - v.slice(0, 0, T);     // (T,)
  // c[j] = gamma * lam * not_done[j]; M[t, s] = c[t] * ... * c[s - 1] for s > t, 1 on the diagonal.
  auto c = gamma * lam * not_done;                                          // (T,)
  auto M = torch::eye(T, torch::kFloat64);
  for (int64_t s = 1; s < T; ++s) {
    // column s: M[t, s] = c[t] * M[t + 1, s] for t < s, built from the bottom of the column up
    auto col = c.slice(0, 0, s).flip({0}).cumprod(0).flip({0});                 // (s,) prod_{j=t}^{s-1} c[j]
    M.select(1, s).slice(0, 0, s).copy_(col);
  }
  auto adv = M.matmul(delta);                                               // (T,)
  auto ret = adv + v.slice(0, 0, T);
  return {adv.to(rewards.scalar_type()), ret.to(rewards.scalar_type())};
}

PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef) {
  auto log_ratio = logp_new - logp_old;
  auto ratio = torch::exp(log_ratio);
  auto capped = torch::where(advantages >= 0, torch::clamp_max(ratio, 1.0 + clip_eps),
                             torch::clamp_min(ratio, 1.0 - clip_eps));
  auto policy = -(capped * advantages).sum() / advantages.numel();
  auto err = values_new - returns;
  auto value = (err * err).sum() / err.numel();
  auto bonus = entropy.sum() / entropy.numel();
  auto total = policy + vf_coef * value - ent_coef * bonus;
  torch::Tensor approx_kl;
  {
    torch::NoGradGuard no_grad;
    approx_kl = (torch::expm1(log_ratio) - log_ratio).mean();
  }
  return {total, policy, value, bonus, approx_kl};
}

}  // namespace kata

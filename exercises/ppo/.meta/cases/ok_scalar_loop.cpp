// expect: accepted
// GAE the way one writes it on a whiteboard: plain doubles in a backwards loop, copied in and out of tensors;
// the loss CleanRL-style: the max of the NEGATED surrogates, MSE through torch::mse_loss, the KL from log_ratio.
#include "ppo.h"

#include <vector>

namespace kata {

GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam) {
  const int64_t T = rewards.size(0);
  auto r = rewards.detach().to(torch::kFloat64).contiguous();
  auto v = values.detach().to(torch::kFloat64).contiguous();
  auto d = dones.detach().to(torch::kFloat64).contiguous();
  const double* R = r.data_ptr<double>();
  const double* V = v.data_ptr<double>();
  const double* D = d.data_ptr<double>();
  std::vector<double> adv(T), ret(T);
  double last = 0.0;
  for (int64_t t = T - 1; t >= 0; --t) {
    if (D[t] != 0.0) {
      last = R[t] - V[t];  // the episode ended after step t: no bootstrap, no carry-over
    } else {
      last = R[t] + gamma * V[t + 1] - V[t] + gamma * lam * last;
    }
    adv[t] = last;
    ret[t] = last + V[t];
  }
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  return {torch::tensor(adv, opts).to(rewards.scalar_type()), torch::tensor(ret, opts).to(rewards.scalar_type())};
}

PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef) {
  auto logratio = logp_new - logp_old;
  auto ratio = logratio.exp();
  auto pg_loss1 = -advantages * ratio;
  auto pg_loss2 = -advantages * torch::clamp(ratio, 1 - clip_eps, 1 + clip_eps);
  auto pg_loss = torch::max(pg_loss1, pg_loss2).mean();
  auto v_loss = torch::mse_loss(values_new, returns);
  auto entropy_loss = entropy.mean();
  auto loss = pg_loss - ent_coef * entropy_loss + v_loss * vf_coef;
  auto approx_kl = ((ratio - 1) - logratio).mean().detach();
  return {loss, pg_loss, v_loss, entropy_loss, approx_kl};
}

}  // namespace kata

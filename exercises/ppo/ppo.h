// Contract for the ppo exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_PPO_H
#define KATA_PPO_H

#include <torch/torch.h>

namespace kata {
// ---- Generalised advantage estimation over one rollout of T steps (T >= 1).
struct GaeOutput {
  torch::Tensor advantages;  // [T], the inputs' dtype
  torch::Tensor returns;     // [T], advantages + values[:T] (the critic's regression targets)
};
// rewards: [T]; values: [T + 1], the critic's V(s_0) .. V(s_T), values[T] the bootstrap value of the state
// after the last step; dones: [T], exactly 0 or 1, dones[t] == 1 when the episode ended AFTER step t (s_{t+1}
// is then the first state of a new episode). All three share one floating dtype (float32 or float64) and may be
// non-contiguous views; they must be left unchanged. gamma and lam are in [0, 1].
//   not_done[t] = 1 - dones[t]
//   delta[t]    = rewards[t] + gamma * not_done[t] * values[t + 1] - values[t]
//   A[t]        = delta[t] + gamma * lam * not_done[t] * A[t + 1],      with A[T] = 0
//   returns[t]  = A[t] + values[t]
// So an episode end neither bootstraps from values[t + 1] nor lets A[t + 1] leak back into step t.
// The estimates are targets, not part of the graph: both outputs must NOT require grad even when values (the
// critic's output) does (compute under torch::NoGradGuard or from detached inputs).
GaeOutput gae(const torch::Tensor& rewards, const torch::Tensor& values, const torch::Tensor& dones, double gamma,
              double lam);

// ---- The PPO-clip loss over a minibatch of N samples (N >= 1). Every part is a 0-dim tensor of the inputs' dtype.
struct PpoLoss {
  torch::Tensor total;      // policy + vf_coef * value - ent_coef * entropy: the one to minimise
  torch::Tensor policy;     // -mean(min(ratio * A, clamp(ratio, 1 - clip_eps, 1 + clip_eps) * A))
  torch::Tensor value;      // mean((values_new - returns)^2): no 0.5 factor, no value clipping
  torch::Tensor entropy;    // mean(entropy): the bonus, positive, SUBTRACTED in total
  torch::Tensor approx_kl;  // mean((ratio - 1) - log(ratio)), the k3 estimator of KL(old || new); a diagnostic,
                            // not in total (its gradient is not checked)
};
// logp_new: [N] log pi_new(a|s), differentiable; logp_old: [N] log pi_old(a|s) when the rollout was collected
// (a constant); advantages: [N] used AS GIVEN (no normalisation inside: the caller normalises); values_new: [N] the
// critic's V(s), differentiable; returns: [N] targets (constant); entropy: [N] the policy's entropy at each state,
// differentiable. ratio = exp(logp_new - logp_old). One floating dtype (float32 or float64); inputs may be
// non-contiguous views and must be left unchanged. clip_eps in (0, 1); vf_coef, ent_coef >= 0.
// The gradients of every part w.r.t. logp_new, values_new and entropy must be those of these formulas (where
// the clipped term is the smaller one, the policy gradient of that sample is 0).
PpoLoss ppo_loss(const torch::Tensor& logp_new, const torch::Tensor& logp_old, const torch::Tensor& advantages,
                 const torch::Tensor& values_new, const torch::Tensor& returns, const torch::Tensor& entropy,
                 double clip_eps, double vf_coef, double ent_coef);
}  // namespace kata

#endif

// Contract for the dpo_loss exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_DPO_LOSS_H
#define KATA_DPO_LOSS_H

#include <torch/torch.h>

#include <tuple>

namespace kata {
// The log-probability a causal LM gives to each sequence's response, summed over its tokens.
//   logits: [B, T, V] float32 or float64, logits[b, t] the model's scores for the token AFTER position t.
//   labels: [B, T] int64, the tokens of the sequence itself (the model's input), each in 0 .. V-1 at every
//           position, masked ones included (prompt tokens are real tokens).
//   mask:   [B, T] bool, aligned with labels: mask[b, t] is true iff labels[b, t] is counted.
// Shifted as in causal LM training: for t = 0 .. T-2, logits[b, t] scores labels[b, t + 1], and that token
// counts iff mask[b, t + 1]. So mask[b, 0] and labels[b, 0] are never used (nothing predicts the first
// token), nor is logits[b, T - 1] (it predicts past the end).
//   returns [B] in logits' dtype: out[b] = sum over t = 0 .. T-2 with mask[b, t + 1] of
//           log_softmax(logits[b, t])[labels[b, t + 1]]   (a SUM over tokens, not a mean; 0 when no token counts,
//           T == 1 included).
// Must stay finite for any finite logits (log_softmax, never log(softmax)): |logits| of 1e3 and more, and
// a label 1e3 below the row's maximum, give about -1e3, not -inf or NaN. Differentiable w.r.t. logits (the
// judge compares the gradient with autograd's through the reference; masked positions get exactly 0).
torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask);

// The DPO loss (Rafailov et al. 2023) from the summed log-probabilities of each pair's responses.
//   policy_chosen, policy_rejected, ref_chosen, ref_rejected: [B] float32 or float64 (the same dtype),
//   sequence_logprob of the chosen and rejected response under the policy and under the frozen reference model.
//   beta > 0: the strength of the KL penalty.
//   z[b] = beta * ((policy_chosen[b] - ref_chosen[b]) - (policy_rejected[b] - ref_rejected[b]))
// Returns (loss, chosen_rewards, rejected_rewards), in the inputs' dtype:
//   loss:             [] (a 0-dim scalar), the MEAN over the batch of -logsigmoid(z[b]); finite for any finite
//                     z (z = -1e3 gives 1e3, not inf: use log_sigmoid or softplus, never log(sigmoid)).
//                     Differentiable w.r.t. all four inputs (the judge compares every gradient with autograd's).
//   chosen_rewards:   [B], beta * (policy_chosen - ref_chosen)
//   rejected_rewards: [B], beta * (policy_rejected - ref_rejected)
//                     Both are DETACHED (requires_grad false even when the inputs require grad): they are
//                     logged, not trained on, and must not keep the graph alive.
// Inputs may be non-contiguous views; do not modify them (this holds for sequence_logprob too).
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta);
}  // namespace kata

#endif

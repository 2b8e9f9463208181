// expect: accepted
// why: the language-modelling loss turned around: per-token cross_entropy (reduction none) on the flattened shifted logits is -log p(label), so the sequence log-probability is minus its mask-weighted sum; the DPO loss as a two-way logsumexp, -logsigmoid(z) = log(1 + exp(-z)) = logsumexp([0, -z]), with the margin grouped by policy and reference
#include "dpo_loss.h"

namespace kata {

namespace F = torch::nn::functional;

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  using torch::indexing::Slice;
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  auto pred = logits.index({Slice(), Slice(0, -1)}).reshape({-1, V});    // (B*(T-1), V)
  auto target = labels.index({Slice(), Slice(1)}).reshape({-1});         // (B*(T-1),)
  auto weight = mask.index({Slice(), Slice(1)}).to(logits.scalar_type());  // (B, T-1) 1 = counted
  auto nll = F::cross_entropy(pred, target, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return -(nll.reshape({B, T - 1}) * weight).sum(-1);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta) {
  auto z = beta * (policy_chosen - policy_rejected) - beta * (ref_chosen - ref_rejected);  // (B,)
  auto both = torch::stack({torch::zeros_like(z), -z}, /*dim=*/-1);                       // (B, 2)
  auto loss = torch::logsumexp(both, /*dim=*/-1).mean();
  auto chosen_rewards = (beta * policy_chosen - beta * ref_chosen).detach();
  auto rejected_rewards = (beta * policy_rejected - beta * ref_rejected).detach();
  return {loss, chosen_rewards, rejected_rewards};
}

}  // namespace kata

// expect: wrong_answer DpoLoss.ReferenceSign
// mistake: reference log-ratio added instead of subtracted: (pc - pr) + (rc - rr)
// why: DPO rewards the policy for improving on the reference: z = beta * ((pc - pr) - (rc - rr)). Adding the reference's log-ratio pushes the policy toward what the reference already prefers and no longer cancels the reference. Subtract it
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t T = logits.size(1);
  auto pred = logits.narrow(1, 0, T - 1);
  auto target = labels.narrow(1, 1, T - 1);
  auto keep = mask.narrow(1, 1, T - 1);
  auto logp = torch::log_softmax(pred, -1);
  auto token = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1);
  return token.masked_fill(keep.logical_not(), 0).sum(1);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta) {
  auto chosen = policy_chosen - ref_chosen;
  auto rejected = policy_rejected - ref_rejected;
  auto z = beta * ((policy_chosen - policy_rejected) + (ref_chosen - ref_rejected));  // wrong sign
  auto loss = -torch::log_sigmoid(z).mean();
  return {loss, (beta * chosen).detach(), (beta * rejected).detach()};
}

}  // namespace kata

// expect: wrong_answer SequenceLogprob.MaskAlignment
// mistake: mask shifted with the logits (mask[:, :-1]) instead of with the labels (mask[:, 1:])
// why: mask[b, t] belongs to labels[b, t], which logits[b, t - 1] scores; taking mask[:, :-1] with logits[:, :-1] drops the first response token and counts the token after the last one. Shift the mask with the labels: mask[:, 1:]
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t T = logits.size(1);
  auto pred = logits.narrow(1, 0, T - 1);
  auto target = labels.narrow(1, 1, T - 1);
  auto keep = mask.narrow(1, 0, T - 1);  // aligned with the logits
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
  auto z = beta * (chosen - rejected);
  auto loss = -torch::log_sigmoid(z).mean();
  return {loss, (beta * chosen).detach(), (beta * rejected).detach()};
}

}  // namespace kata

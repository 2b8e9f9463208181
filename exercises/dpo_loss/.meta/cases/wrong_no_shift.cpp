// expect: wrong_answer SequenceLogprob.Shift
// mistake: logits at position t scored against labels[t] (no shift)
// why: logits[:, t] is the prediction for the NEXT token; scoring labels[:, t] with it measures how likely the model finds the token it was just fed, not the response. Slice logits[:, :-1] against labels[:, 1:] and mask[:, 1:]
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  auto logp = torch::log_softmax(logits, -1);  // (B, T, V): no shift
  auto target = labels;
  auto keep = mask;
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

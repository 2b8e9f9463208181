// expect: wrong_answer DpoLoss.MeanOverBatch
// mistake: loss summed over the batch instead of averaged
// why: a sum makes the loss and its gradient grow with the batch size, so the learning rate has to change whenever the batch does. Take the mean over the batch
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
  auto z = beta * (chosen - rejected);
  auto loss = -torch::log_sigmoid(z).sum();  // a sum
  return {loss, (beta * chosen).detach(), (beta * rejected).detach()};
}

}  // namespace kata

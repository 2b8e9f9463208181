// expect: wrong_answer SequenceLogprob.MaskedPositionsIgnored
// mistake: the mask is ignored: prompt and padding tokens are summed too
// why: the prompt's and the padding's log-probabilities are added to the response's, so the chosen and rejected sums differ by whatever the prompt and padding contribute. Zero the per-token log-probabilities where mask[:, 1:] is false before summing
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t T = logits.size(1);
  auto pred = logits.narrow(1, 0, T - 1);
  auto target = labels.narrow(1, 1, T - 1);
  auto logp = torch::log_softmax(pred, -1);
  auto token = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1);
  return token.sum(1);  // every position counted
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

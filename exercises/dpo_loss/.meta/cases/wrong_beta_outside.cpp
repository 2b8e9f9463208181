// expect: wrong_answer DpoLoss.Beta
// mistake: beta applied outside the logsigmoid: -beta * logsigmoid(margin)
// why: beta is the inverse temperature of the Bradley-Terry model: loss = -logsigmoid(beta * margin). Multiplying the loss by beta instead scales it but keeps the sigmoid at temperature 1, so the gradient no longer fades as the margin grows past 1/beta. Put beta inside: -logsigmoid(beta * margin)
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
  auto margin = chosen - rejected;
  auto loss = -(beta * torch::log_sigmoid(margin)).mean();  // beta outside
  return {loss, (beta * chosen).detach(), (beta * rejected).detach()};
}

}  // namespace kata

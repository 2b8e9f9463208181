// expect: wrong_answer SequenceLogprob.LargeLogits
// mistake: log-softmax by hand without subtracting the row maximum: x - log(sum(exp(x)))
// why: exp(x) overflows to inf for logits above ~709 in float64 (~88 in float32), so every log-probability becomes -inf or NaN. Subtract the row's maximum first (x - m - log(sum(exp(x - m)))), or call torch::log_softmax / torch::logsumexp
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t T = logits.size(1);
  auto pred = logits.narrow(1, 0, T - 1);
  auto target = labels.narrow(1, 1, T - 1);
  auto keep = mask.narrow(1, 1, T - 1);
  auto logp = pred - pred.exp().sum(-1, true).log();  // no max subtracted
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

#include "dpo_loss.h"

namespace kata {

// Summed log-probability of the counted labels, logits at t scoring the label at t + 1.
torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t T = logits.size(1);
  auto pred = logits.narrow(/*dim=*/1, /*start=*/0, /*length=*/T - 1);    // (B, T-1, V) predicts t + 1
  auto target = labels.narrow(/*dim=*/1, /*start=*/1, /*length=*/T - 1);  // (B, T-1) the token at t + 1
  auto keep = mask.narrow(/*dim=*/1, /*start=*/1, /*length=*/T - 1);      // (B, T-1) counted iff mask at t + 1
  auto logp = torch::log_softmax(pred, /*dim=*/-1);                         // (B, T-1, V) stable
  auto token = logp.gather(/*dim=*/-1, target.unsqueeze(-1)).squeeze(-1);  // (B, T-1)
  return token.masked_fill(keep.logical_not(), 0).sum(/*dim=*/1);          // (B,) a sum, not a mean
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta) {
  auto chosen = policy_chosen - ref_chosen;                      // (B,) implicit reward / beta
  auto rejected = policy_rejected - ref_rejected;                // (B,)
  auto z = beta * (chosen - rejected);                           // (B,) the preference logit
  auto loss = -torch::log_sigmoid(z).mean();                     // () stable for any z
  return {loss, (beta * chosen).detach(), (beta * rejected).detach()};  // rewards: logged, not trained on
}

}  // namespace kata

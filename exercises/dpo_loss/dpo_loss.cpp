// Your solution: implement kata::sequence_logprob and kata::dpo_loss as README.md and dpo_loss.h describe.
// Judge it with: ./kata judge dpo_loss
#include "dpo_loss.h"

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  // logits: (B, T, V); labels, mask: (B, T). TODO: log_softmax over V, logits[:, t] scores labels[:, t + 1]
  // when mask[:, t + 1], summed over t
  return torch::zeros({logits.size(0)}, logits.options());  // TODO: replace with the summed log-probabilities
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta) {
  // All (B,). TODO: z = beta * ((pc - rc) - (pr - rr)), loss = mean of -logsigmoid(z), rewards detached
  auto loss = torch::zeros({}, policy_chosen.options());     // TODO: replace with the DPO loss
  auto chosen = torch::zeros_like(policy_chosen);            // TODO: beta * (pc - rc), detached
  auto rejected = torch::zeros_like(policy_rejected);        // TODO: beta * (pr - rr), detached
  return {loss, chosen, rejected};
}

}  // namespace kata

// expect: accepted
// why: one position at a time, as on a whiteboard: for each sequence and each t < T-1 whose label mask[b, t+1] is set, the log-probability of labels[b, t+1] under logits[b, t] by a hand-written stable log-softmax (max subtracted, then log of the summed exponentials), accumulated per sequence; the DPO loss as TRL writes it (policy log-ratio minus reference log-ratio) with -logsigmoid(z) = softplus(-z) (threshold raised to 50: at the default 20 the linear branch is off by up to exp(-20) = 2e-9, which a float64 comparison can see), and the rewards computed under NoGradGuard
#include "dpo_loss.h"

#include <vector>

namespace kata {

torch::Tensor sequence_logprob(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask) {
  const int64_t B = logits.size(0), T = logits.size(1);
  auto lab = labels.contiguous();
  auto m = mask.contiguous();
  std::vector<torch::Tensor> sums;
  for (int64_t b = 0; b < B; ++b) {
    auto total = torch::zeros({}, logits.options());
    for (int64_t t = 0; t + 1 < T; ++t) {
      if (!m[b][t + 1].item<bool>()) continue;
      auto row = logits[b][t];                                  // (V,)
      auto mx = row.max().detach();                             // a constant shift: exact, and no gradient needed
      auto lse = mx + (row - mx).exp().sum().log();             // stable log-sum-exp
      total = total + (row[lab[b][t + 1].item<int64_t>()] - lse);
    }
    sums.push_back(total);
  }
  return torch::stack(sums);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> dpo_loss(const torch::Tensor& policy_chosen,
                                                                 const torch::Tensor& policy_rejected,
                                                                 const torch::Tensor& ref_chosen,
                                                                 const torch::Tensor& ref_rejected, double beta) {
  auto pi_logratios = policy_chosen - policy_rejected;
  auto ref_logratios = ref_chosen - ref_rejected;
  auto z = beta * (pi_logratios - ref_logratios);
  auto loss = torch::softplus(-z, /*beta=*/1, /*threshold=*/50).mean();  // -logsigmoid(z)
  torch::Tensor chosen_rewards, rejected_rewards;
  {
    torch::NoGradGuard no_grad;
    chosen_rewards = beta * (policy_chosen - ref_chosen);
    rejected_rewards = beta * (policy_rejected - ref_rejected);
  }
  return {loss, chosen_rewards, rejected_rewards};
}

}  // namespace kata

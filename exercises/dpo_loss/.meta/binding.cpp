// The dpo_loss contract across the trust boundary (see harness/host/binding.h).
#include "dpo_loss.h"

#include "binding.h"

namespace kata_dpo_loss {
using LossAndRewards = std::tuple<torch::Tensor, torch::Tensor, torch::Tensor>;  // a macro argument has no commas
}

KATA_BIND_FUNCTION(torch::Tensor, sequence_logprob,
                   (const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& mask),
                   (logits, labels, mask))
KATA_BIND_FUNCTION(kata_dpo_loss::LossAndRewards, dpo_loss,
                   (const torch::Tensor& policy_chosen, const torch::Tensor& policy_rejected,
                    const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected, double beta),
                   (policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta))

// expect: runtime_error
// why: torch::one_hot(targets, C) with the ignored rows' -100 still in targets throws ("Class values must be non-negative"), as does gather with -100: give the ignored rows a valid class first (targets.masked_fill(~keep, 0)), then drop them from the loss
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto q = torch::one_hot(targets, C).to(logits.scalar_type()) * (1.0 - label_smoothing) + label_smoothing / C;
  auto loss = -(q * logp).sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

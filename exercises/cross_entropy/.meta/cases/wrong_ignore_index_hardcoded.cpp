// expect: wrong_answer CrossEntropy.IgnoreIndexAnyValue
// mistake: ignored rows found with a fixed value (targets != -100) instead of ignore_index
// why: -100 is only PyTorch's default: ignore_index is an argument, and often a real class id (0 for padding). Build keep = targets != ignore_index; targets >= 0 fails the same way
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != -100;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

// expect: wrong_answer CrossEntropy.AllTargetsIgnored
// mistake: every row ignored gives 0 instead of NaN (count clamped to 1)
// why: with no kept rows PyTorch returns 0 / 0 = NaN, and the contract asks for the same; clamping the count to 1 returns 0, a perfect-looking loss for a batch that was all padding. Divide by the count as it is
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum().clamp_min(1);
}
}  // namespace kata

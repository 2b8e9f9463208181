// expect: wrong_answer CrossEntropy.LargeLogits
// mistake: one max over the whole tensor instead of each row's max
// why: the shift must be each row's own max: with logits.max() over everything, a row whose logits all lie far (~745 in float64) below the largest logit of the batch gets exp() = 0 everywhere, log(0) = -inf, and the loss is inf. Use logits.max(/*dim=*/1, /*keepdim=*/true)
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = logits.max().detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

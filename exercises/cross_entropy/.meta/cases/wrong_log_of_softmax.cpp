// expect: wrong_answer CrossEntropy.LargeLogits
// mistake: log(softmax(x)) (underflows to log(0) = -inf)
// why: softmax itself is stable, but a probability below ~1e-308 (float64; ~1e-38 in float32) rounds to 0 and its log is -inf, so a confidently wrong prediction gives an infinite loss and NaN gradients. Stay in log space: log p = (x - m) - log(sum exp(x - m))
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto logp = torch::softmax(logits, /*dim=*/1).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

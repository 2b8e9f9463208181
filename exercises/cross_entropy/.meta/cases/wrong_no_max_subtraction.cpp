// expect: wrong_answer CrossEntropy.LargeLogits
// mistake: log-sum-exp without subtracting the row max (exp overflows)
// why: exp(x) is inf above ~709 in float64 (~88 in float32), so log(sum(exp(x))) is inf and the loss inf or NaN for large logits; use log sum exp(x) = m + log sum exp(x - m) with m the row max, whose largest term is exp(0) = 1
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto logp = logits - logits.exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: log-softmax taken over the batch dimension (dim 0)
// why: each row is one example's distribution over the C classes: the max, the sum of exp() and the log-sum-exp run along dim 1 (keepdim so they broadcast back), not along dim 0, which normalises each class across the batch
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(0, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(0, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

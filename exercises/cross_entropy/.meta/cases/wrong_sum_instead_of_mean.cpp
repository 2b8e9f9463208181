// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: summed over the rows instead of averaged
// why: reduction 'mean' divides the summed loss by the number of kept rows; a sum grows with the batch size, so the learning rate silently depends on it. Divide by keep.sum()
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
  return loss.masked_select(keep).sum();
}
}  // namespace kata

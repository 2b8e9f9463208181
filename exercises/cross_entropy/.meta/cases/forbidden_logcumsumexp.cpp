// expect: forbidden_call
// why: the last column of logcumsumexp along the classes is the row's log-sum-exp: the stable reduction done by LibTorch under another name
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto lse = logits.logcumsumexp(/*dim=*/1).narrow(1, C - 1, 1);  // (N, 1)
  auto logp = logits - lse;
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

// expect: forbidden_call
// why: the log-softmax is written by hand, but nll_loss does the target gather, ignore_index and the mean over kept rows: part of the exercise, handed to LibTorch
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = torch::nll_loss(logp, targets, /*weight=*/{}, at::Reduction::Mean, ignore_index);
  auto uniform = (-logp.sum(1)).masked_select(keep).sum() / keep.sum();
  return (1.0 - label_smoothing) * nll + (label_smoothing / C) * uniform;
}
}  // namespace kata

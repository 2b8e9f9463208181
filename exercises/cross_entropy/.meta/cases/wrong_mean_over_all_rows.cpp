// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: mean over all N rows, the ignored ones included
// why: the ignored rows' losses are zeroed but still counted: dividing by N instead of by the number of kept rows shrinks the loss (and its gradient) by kept / N, more so the more padding a batch has. Divide by keep.sum()
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
  return torch::where(keep, loss, torch::zeros_like(loss)).mean();
}
}  // namespace kata

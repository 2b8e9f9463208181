// expect: accepted
// why: never forms log p: loss = lse - (1 - eps) * x[target] - eps * mean(x), since -sum over c of log p[c] / C = lse - mean of the row; the target logit comes from advanced indexing, the mask is a float weight
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t N = logits.size(0);
  auto m = std::get<0>(logits.max(1));                                               // (N,)
  auto lse = m + (logits - m.unsqueeze(1)).exp().sum(1).log();                       // (N,)
  auto keep = (targets != ignore_index).to(logits.dtype());                          // (N,) 1 or 0
  auto safe = targets * (targets != ignore_index).to(torch::kLong);                  // ignored -> class 0
  auto x_target = logits.index({torch::arange(N, targets.options()), safe});         // (N,)
  auto per_row = lse - (1.0 - label_smoothing) * x_target - label_smoothing * logits.mean(1);
  return (per_row * keep).sum() / keep.sum();
}
}  // namespace kata

// expect: accepted
// why: builds the smoothed target distribution q = (1 - eps) one-hot + eps / C as a tensor and takes -sum(q * log p) per row; ignored rows get a dummy class for one_hot and are dropped with where, the max is kept in the graph (amax) and its gradient cancels
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto shifted = logits - logits.amax(/*dim=*/{1}, /*keepdim=*/true);                 // (N, C), max 0 per row
  auto logp = shifted - shifted.exp().sum(/*dim=*/1, /*keepdim=*/true).log();         // (N, C)
  auto keep = targets.ne(ignore_index);                                               // (N,)
  auto one_hot = torch::one_hot(torch::where(keep, targets, torch::zeros_like(targets)), C).to(logits.dtype());
  auto q = (1.0 - label_smoothing) * one_hot + label_smoothing / C;                   // (N, C), rows sum to 1
  auto per_row = -(q * logp).sum(/*dim=*/1);                                          // (N,)
  auto total = torch::where(keep, per_row, torch::zeros_like(per_row)).sum();
  return total / keep.sum().to(logits.dtype());
}
}  // namespace kata

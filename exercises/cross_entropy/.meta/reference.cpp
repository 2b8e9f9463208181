#include "cross_entropy.h"

namespace kata {

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  // Stable log-softmax: log sum exp(x) = m + log sum exp(x - m), with m the row max (a constant shift: its
  // gradient cancels, so it can be detached). The largest term is exp(0) = 1: no overflow, and log never sees 0.
  auto m = std::get<0>(logits.max(/*dim=*/1, /*keepdim=*/true)).detach();    // (N, 1)
  auto lse = m + (logits - m).exp().sum(/*dim=*/1, /*keepdim=*/true).log();  // (N, 1)
  auto logp = logits - lse;                                                  // (N, C)

  auto keep = targets != ignore_index;                                          // (N,) rows that count
  auto safe = targets.masked_fill(keep.logical_not(), 0);                       // (N,) ignored rows: any valid class
  auto nll = -logp.gather(/*dim=*/1, safe.unsqueeze(1)).squeeze(1);             // (N,) -log p[target]
  auto uniform = -logp.sum(/*dim=*/1);                                          // (N,) -sum over all C classes
  auto loss = (1.0 - label_smoothing) * nll + (label_smoothing / C) * uniform;  // (N,)
  return loss.masked_select(keep).sum() / keep.sum();  // () mean over kept rows; none kept: 0 / 0 = NaN
}

}  // namespace kata

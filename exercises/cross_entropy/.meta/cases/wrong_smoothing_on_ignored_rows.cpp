// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: ignored rows kept in the smoothing term
// why: only the NLL term skips the ignored rows (as nll_loss does with ignore_index); the uniform term -sum of log p is summed over every row, padding included. An ignored row must drop out of both terms: mask the whole per-row loss, then divide by the kept count
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto count = keep.sum();
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1).masked_select(keep).sum() / count;
  auto uniform = -logp.sum() / count;  // every row, the ignored ones too
  return (1.0 - label_smoothing) * nll + (label_smoothing / C) * uniform;
}
}  // namespace kata

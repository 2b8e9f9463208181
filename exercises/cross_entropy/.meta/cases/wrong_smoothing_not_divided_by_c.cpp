// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: uniform term not divided by C (eps * -sum of log p)
// why: the smoothed target gives each class eps / C, so the uniform term is (eps / C) * -sum over the classes of log p, i.e. eps times the mean of -log p; without the 1 / C the smoothing term is C times too strong
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - label_smoothing * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: label_smoothing ignored (plain NLL for every eps)
// why: with eps > 0 the target is (1 - eps) one-hot + eps / C on every class, so each kept row adds the uniform term: loss = (1 - eps) * -log p[target] + (eps / C) * -sum over the C classes of log p
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  return nll.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

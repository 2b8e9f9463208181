// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: smoothing mass eps / (C - 1) on the other classes only
// why: that is fairseq's convention (eps_i = eps / (V - 1)); PyTorch's, which the contract follows, puts eps / C on every one of the C classes, the target included: target (1 - eps) + eps / C. Use (1 - eps) * nll + (eps / C) * -sum of log p over all classes
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto others = -logp.sum(1) - nll;  // -sum of log p over the C - 1 other classes
  auto loss = (1.0 - label_smoothing) * nll + (label_smoothing / (C - 1)) * others;
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

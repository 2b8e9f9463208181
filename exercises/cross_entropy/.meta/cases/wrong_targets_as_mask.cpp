// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: the targets themselves used as the mask (targets > 0: class 0 dropped like padding)
// why: a row is ignored only when its target equals ignore_index; class 0 is a real class (here the -100 rows and the class-0 rows both vanish). Build the mask from ignore_index: keep = targets != ignore_index
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets > 0;  // padding is -100, so anything positive is a real target
  auto nll = -logp.gather(1, targets.clamp_min(0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

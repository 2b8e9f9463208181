// expect: wrong_answer CrossEntropy.OutputFloat64
// mistake: mean over the [N, C] elements (divides by C too)
// why: -(q * log p) with q the smoothed one-hot target is a [N, C] tensor: sum it over the classes first (each row's cross-entropy), then average over the kept rows; .mean() over every element divides by N * C
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto m = std::get<0>(logits.max(1, true)).detach();
  auto logp = logits - m - (logits - m).exp().sum(1, true).log();
  auto keep = targets != ignore_index;
  auto q = torch::one_hot(targets.masked_fill(~keep, 0), C).to(logits.scalar_type()) * (1.0 - label_smoothing) +
           label_smoothing / C;
  return (-(q * logp)).index({keep}).mean();
}
}  // namespace kata

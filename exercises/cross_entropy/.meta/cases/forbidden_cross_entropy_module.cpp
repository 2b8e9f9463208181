// expect: forbidden_call
// why: the torch::nn::CrossEntropyLoss module, configured per call: the same fused loss behind a class
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  torch::nn::CrossEntropyLoss loss(
      torch::nn::CrossEntropyLossOptions().label_smoothing(label_smoothing).ignore_index(ignore_index));
  return loss(logits, targets);
}
}  // namespace kata

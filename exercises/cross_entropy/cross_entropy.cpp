// Your solution: implement kata::cross_entropy as README.md and cross_entropy.h describe.
// Judge it with: ./kata judge cross_entropy
#include "cross_entropy.h"

namespace kata {

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  // logits: (N, C), targets: (N,) int64
  // TODO: a stable log-softmax of each row (subtract the row max), the smoothed negative log-likelihood of
  // each row, then the mean over the rows whose target is not ignore_index
  return torch::zeros({}, logits.options());  // TODO: replace with the loss
}

}  // namespace kata

// expect: accepted
// why: one row at a time, as a candidate might write it on a whiteboard: skip ignored rows, stable log-sum-exp of the row, accumulate a 0-dim tensor and divide by the count (0 rows: 0 / 0 = NaN)
#include "cross_entropy.h"

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t N = logits.size(0), C = logits.size(1);
  auto total = torch::zeros({}, logits.options());
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {
    const int64_t t = targets[i].item<int64_t>();
    if (t == ignore_index) continue;
    auto row = logits[i];                                     // (C,)
    auto m = row.max();
    auto log_z = m + (row - m).exp().sum().log();             // log-sum-exp of the row
    auto nll = log_z - row[t];
    auto uniform = C * log_z - row.sum();                     // -sum over c of log p[c]
    total = total + (1.0 - label_smoothing) * nll + (label_smoothing / C) * uniform;
    ++count;
  }
  return total / static_cast<double>(count);
}
}  // namespace kata

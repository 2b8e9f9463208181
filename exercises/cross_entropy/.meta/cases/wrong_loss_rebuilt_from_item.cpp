// expect: wrong_answer CrossEntropy.GradientsLogits
// mistake: loss computed in C++ doubles and wrapped in a new tensor (no gradient)
// why: the value is right, but a tensor built from a number (torch::scalar_tensor(total / count)) has no autograd history, so no gradient reaches the logits and the model never learns. Keep the whole computation in tensor ops
#include "cross_entropy.h"

#include <algorithm>
#include <cmath>

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  auto x = logits.to(torch::kFloat64).contiguous();
  auto t = targets.contiguous();
  const int64_t N = x.size(0), C = x.size(1);
  auto xa = x.accessor<double, 2>();
  auto ta = t.accessor<int64_t, 1>();
  double total = 0, count = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (ta[i] == ignore_index) continue;
    double m = xa[i][0], s = 0, sum_x = 0;
    for (int64_t c = 1; c < C; ++c) m = std::max(m, xa[i][c]);
    for (int64_t c = 0; c < C; ++c) s += std::exp(xa[i][c] - m), sum_x += xa[i][c];
    double lse = m + std::log(s);
    total += (1 - label_smoothing) * (lse - xa[i][ta[i]]) + label_smoothing * (lse - sum_x / C);
    count += 1;
  }
  return torch::scalar_tensor(total / count, logits.options());
}
}  // namespace kata

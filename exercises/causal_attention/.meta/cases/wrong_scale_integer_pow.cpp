// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: scale computed with integer division (-1 / 2 == 0)
// why: -1 / 2 is integer division in C++ and equals 0, so std::pow(d, -1 / 2) is 1 and the scores are not scaled at all; write -0.5 or 1.0 / std::sqrt(d)
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const double scale = std::pow(static_cast<double>(q.size(-1)), -1 / 2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

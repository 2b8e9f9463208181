// expect: wrong_answer CausalAttention.LargeScoresStayFinite
// mistake: softmax without subtracting the row max
// why: exp(scores) / sum(exp(scores)) overflows to inf / inf = NaN once a score passes ~88 (float32) or ~709 (float64); subtract each row's max before exp, as torch::softmax does
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto e = torch::exp(scores);
  auto weights = e / e.sum(-1, /*keepdim=*/true);
  return torch::matmul(weights, v);
}

}  // namespace kata

// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: mask hides the diagonal
// why: triu(0) masks the diagonal too, so position i cannot attend to itself and position 0 has no key left at all: softmax over a row of -inf is NaN; the future starts at diagonal 1 (triu(1))
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu();
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

// expect: wrong_answer CausalAttention.NoFutureLeakage
// mistake: mask hides the past instead of the future
// why: the mask is built with tril instead of triu, so each query sees the future and not the past; masked_fill hides the positions where the mask is true, so it must be true above the diagonal (triu(1))
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  auto mask = torch::ones({T, T}, q.options().dtype(torch::kBool)).tril(-1);
  scores = scores.masked_fill(mask, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

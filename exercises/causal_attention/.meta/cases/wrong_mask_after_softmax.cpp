// expect: wrong_answer CausalAttention.LargeScoresStayFinite
// mistake: mask applied after the softmax
// why: softmax over all keys, then zeroing the future and renormalizing, is the same in exact arithmetic, but when a future score is much larger every past weight underflows to 0 and the row becomes 0/0 = NaN; mask the scores before the softmax
#include "causal_attention.h"

#include <cmath>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto weights = torch::softmax(scores, -1);
  auto keep = torch::ones({T, T}, q.options()).tril();
  weights = weights * keep;
  weights = weights / weights.sum(-1, /*keepdim=*/true);
  return torch::matmul(weights, v);
}

}  // namespace kata

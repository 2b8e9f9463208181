// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: scores divided by head_dim instead of sqrt(head_dim)
// why: the scores are divided by head_dim instead of sqrt(head_dim); a dot product of d unit-variance terms has variance d, so dividing by sqrt(d) brings it back to 1, dividing by d flattens the softmax too much
#include "causal_attention.h"

#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const int64_t d = q.size(-1);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / static_cast<double>(d);
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

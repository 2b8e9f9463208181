// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: weights that ignore the scores (a running mean of v)
// why: the softmax is taken over a zero matrix with the future masked, so every past position gets the same weight 1/(i+1) and the output is a running mean of v; the weights must come from the scores q . k / sqrt(d)
#include "causal_attention.h"

#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto tril = torch::ones({T, T}, q.options()).tril();
  auto wei = torch::zeros({T, T}, q.options());
  wei = wei.masked_fill(tril == 0, -std::numeric_limits<double>::infinity());
  wei = torch::softmax(wei, -1);
  return torch::matmul(wei, v);
}

}  // namespace kata

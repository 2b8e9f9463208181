// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: scale from the sequence length instead of head_dim
// why: q.size(2) is the sequence length in [batch, heads, seq, head_dim]; the scale is 1/sqrt(head_dim), the size of the last dimension (the length of the vectors in each dot product)
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const double head_size = q.size(2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(head_size);
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

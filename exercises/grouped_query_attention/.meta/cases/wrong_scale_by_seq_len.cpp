// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: scale from the sequence length instead of head_dim
// why: q.size(2) is the sequence length in [batch, heads, seq, head_dim]; the scale is 1/sqrt(head_dim), from q.size(3), the length of the vectors in each dot product
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2);
  const double head_size = q.size(2);
  const int64_t group = q.size(1) / k.size(1);
  auto k_rep = k.repeat_interleave(group, 1);
  auto v_rep = v.repeat_interleave(group, 1);
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(head_size);
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

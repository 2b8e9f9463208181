// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: causal flag ignored (never masked)
// why: the causal argument is never read, so with causal true every query still sees the future keys; when causal, hide j > i with masked_fill(ones({T, T}).triu(1), -inf) before the softmax
#include "grouped_query_attention.h"

#include <cmath>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool /*causal*/) {
  const int64_t group = q.size(1) / k.size(1);
  auto k_rep = k.repeat_interleave(group, 1);
  auto v_rep = v.repeat_interleave(group, 1);
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

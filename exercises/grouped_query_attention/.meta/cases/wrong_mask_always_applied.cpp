// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: causal mask applied even when causal is false
// why: the mask is applied unconditionally, so with causal false query i still cannot see keys j > i; mask only inside if (causal)
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2);
  const int64_t group = q.size(1) / k.size(1);
  auto k_rep = k.repeat_interleave(group, 1);
  auto v_rep = v.repeat_interleave(group, 1);
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());  // causal or not
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

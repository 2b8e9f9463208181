// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: softmax over the queries instead of the keys
// why: softmax over dim -2 normalizes each key's column over the queries; each query's weights over the keys (the last dimension of the [.., T_query, T_key] scores) must sum to 1
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
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -2), v_rep);
}

}  // namespace kata

// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: softmax over the queries instead of the keys
// why: softmax over dim -2 normalizes each key's column over the queries; each query's weights over the keys (the last dimension of the [.., T_query, T_key] scores) must sum to 1
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -2), v);
}

}  // namespace kata

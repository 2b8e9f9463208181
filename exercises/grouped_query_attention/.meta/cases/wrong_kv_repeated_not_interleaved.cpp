// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: kv heads tiled with repeat instead of repeat_interleave
// why: k.repeat({1, group, 1, 1}) tiles the kv heads 0 1 0 1 ..., so query head h reads kv head h % kv_heads instead of h / group; repeat_interleave(group, 1) repeats each in place, 0 0 1 1 ...
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2), D = q.size(3);
  const int64_t group = q.size(1) / k.size(1);
  auto k_rep = k.repeat({1, group, 1, 1});
  auto v_rep = v.repeat({1, group, 1, 1});
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

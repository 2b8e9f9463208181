// expect: wrong_answer GroupedQueryAttention.GradientsQKV
// mistake: repeated keys and values detached
// why: .detach() on the repeated k and v (as if they were a KV cache) cuts them from the graph: the output is right but no gradient reaches k or v; repeat_interleave is differentiable (each kv head's gradient is the sum over its group), keep it in the graph
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2);
  const int64_t group = q.size(1) / k.size(1);
  auto k_rep = k.repeat_interleave(group, 1).detach();  // a cache: no gradient needed
  auto v_rep = v.repeat_interleave(group, 1).detach();
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: scores divided by sqrt(q_heads * head_dim) instead of sqrt(head_dim)
// why: q_heads * head_dim is the model width, but each score is a dot product over one head's head_dim coordinates; scale by 1/sqrt(q.size(3))
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t B = q.size(0), Hq = q.size(1), Hkv = k.size(1), T = q.size(2), D = q.size(3);
  const int64_t n_embd = Hq * D;
  auto k_rep = k.repeat_interleave(Hq / Hkv, 1);
  auto v_rep = v.repeat_interleave(Hq / Hkv, 1);
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(n_embd)));
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  (void)B;
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

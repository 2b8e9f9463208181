// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: softmax computed in float32
// why: Meta's llama computes softmax(scores.float()).type_as(q): in a float64 run that rounds every weight to float32 (~1e-7 relative); keep the inputs' dtype throughout
#include "grouped_query_attention.h"

#include <cmath>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2);
  const int64_t n_rep = q.size(1) / k.size(1);
  auto keys = k.repeat_interleave(n_rep, 1);
  auto values = v.repeat_interleave(n_rep, 1);
  auto scores = torch::matmul(q, keys.transpose(2, 3)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal) scores = scores + torch::full({T, T}, -INFINITY, q.options()).triu(/*diagonal=*/1);
  scores = torch::softmax(scores.to(torch::kFloat), /*dim=*/-1).to(q.scalar_type());
  return torch::matmul(scores, values);
}

}  // namespace kata

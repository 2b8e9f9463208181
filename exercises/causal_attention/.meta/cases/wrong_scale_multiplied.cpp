// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: scores multiplied by sqrt(head_dim) instead of divided
// why: the scale is 1/sqrt(head_dim): multiplying by sqrt(head_dim) makes the scores head_dim times too large, so the softmax is nearly one-hot; divide, or multiply by 1.0 / std::sqrt(d)
#include "causal_attention.h"

#include <cmath>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto T = q.size(-2);
  auto att = torch::matmul(q, k.transpose(-2, -1)) * std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(/*diagonal=*/1);
  att = att.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(att, /*dim=*/-1), v);
}
}  // namespace kata

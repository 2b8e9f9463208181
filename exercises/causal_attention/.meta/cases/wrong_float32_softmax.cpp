// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: softmax computed in float32
// why: Meta's llama computes softmax(scores.float()).type_as(q): in a float64 run that rounds every weight to float32 (~1e-7 relative); keep the inputs' dtype throughout
#include "causal_attention.h"

#include <cmath>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto T = q.size(-2);
  auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto mask = torch::full({T, T}, -INFINITY, q.options()).triu(/*diagonal=*/1);
  att = torch::softmax((att + mask).to(torch::kFloat), /*dim=*/-1).to(q.scalar_type());
  return torch::matmul(att, v);
}
}  // namespace kata

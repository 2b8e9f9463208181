// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: keys reshaped instead of transposed
// why: k.reshape({B, H, D, T}) keeps the elements in memory order and only regroups them, it does not swap rows and columns; the keys need k.transpose(-2, -1)
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  auto kt = k.reshape({B, H, D, T});
  auto scores = torch::matmul(q, kt) / std::sqrt(static_cast<double>(D));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

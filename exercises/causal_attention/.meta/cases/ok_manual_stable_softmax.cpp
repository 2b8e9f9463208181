// expect: accepted
// why: the softmax by hand, done stably: masked scores get the dtype's lowest value (exp of it minus the max is 0), each row's max is subtracted before exp, then rows are divided by their sums; the max may even be detached because softmax does not change when a constant is subtracted
#include "causal_attention.h"

#include <cmath>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const double lowest = q.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                             : std::numeric_limits<float>::lowest();
  auto scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(q.size(-1)))), k.transpose(-2, -1));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, lowest);
  auto row_max = std::get<0>(scores.max(-1, /*keepdim=*/true)).detach();
  auto e = torch::exp(scores - row_max);
  return torch::matmul(e / e.sum(-1, /*keepdim=*/true), v);
}

}  // namespace kata

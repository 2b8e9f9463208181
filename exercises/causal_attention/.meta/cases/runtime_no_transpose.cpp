// expect: runtime_error
// why: matmul(q, k) multiplies [.., T, D] by [.., T, D], whose inner sizes D and T differ, so LibTorch throws a shape error; the scores are q times k transposed: matmul(q, k.transpose(-2, -1)) gives [.., T, T]
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

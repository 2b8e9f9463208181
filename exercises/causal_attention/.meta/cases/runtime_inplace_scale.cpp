// expect: runtime_error
// why: q.mul_(scale) scales the caller's q in place (a const Tensor& still shares its storage): q is changed after the call, and when q requires grad autograd throws ("a leaf Variable that requires grad is being used in an in-place operation"); q * scale makes a new tensor
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto qs = q.mul_(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  auto scores = torch::matmul(qs, k.transpose(-2, -1));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

// expect: runtime_error
// why: a LibTorch shape error (matmul of [.., T, d] by [.., T, d]) is reported with its message
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto scores = torch::matmul(q, k);  // forgot to transpose k
  return torch::matmul(torch::softmax(scores, -1), v);
}
}  // namespace kata

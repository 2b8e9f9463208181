// expect: compile_error
// why: Python habits (torch.softmax, k.T) do not compile; the error points at this file's line
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto scores = torch::matmul(q, k.T) / std::sqrt(q.size(-1));
  return torch::matmul(torch.softmax(scores, -1), v);
}
}  // namespace kata

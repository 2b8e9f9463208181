// expect: compile_error
// why: a definition that does not match the contract (by-value parameters) leaves the contract's function undefined
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(torch::Tensor q, torch::Tensor k, torch::Tensor v) {
  auto scores = torch::matmul(q, k.transpose(-2, -1));
  return torch::matmul(torch::softmax(scores, -1), v);
}
}  // namespace kata

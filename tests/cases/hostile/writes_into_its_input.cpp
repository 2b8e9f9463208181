// expect: wrong_answer CausalAttention.InputsUnchanged
// why: right values, but it scales q in place once it is done with it (only where autograd would not object): the write must come back across the boundary, so the check that the inputs are unchanged sees it
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  auto out = torch::matmul(torch::softmax(scores.masked_fill(future, -std::numeric_limits<double>::infinity()), -1), v);
  if (!q.requires_grad()) q.mul_(0.5);
  return out;
}

}  // namespace kata

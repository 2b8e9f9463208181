// expect: memory_limit_exceeded
// why: plain attention, with the right values and a right log-sum-exp, but it builds the seq x seq score matrix, which is the one thing FlashAttention exists to avoid: over 1536 positions that is 18 MiB in float64, more than a call may add (12 MiB), and over the 3072 the judge uses where it cannot measure a call, 72 MiB, more than the worker's limit
#include "flash_attention.h"

#include <cmath>
#include <limits>

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  const int64_t T = q.size(2);
  auto s = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1),
                      -std::numeric_limits<double>::infinity());
  return {torch::matmul(torch::softmax(s, -1), v), torch::logsumexp(s, -1)};
}

}  // namespace kata

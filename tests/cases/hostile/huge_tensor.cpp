// expect: memory_limit_exceeded
// why: a tensor far beyond the memory limit fails to allocate; that is a memory verdict, not a crash
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  auto scratch = torch::ones({int64_t{1} << 33}, q.options());  // 64 GiB of float64
  return q + scratch.sum() * 0;
}
}  // namespace kata

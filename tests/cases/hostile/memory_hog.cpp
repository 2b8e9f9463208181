// expect: memory_limit_exceeded
// why: asking for 16 GiB in 256 MiB blocks must end as a memory verdict, not a crash or a hang
#include "causal_attention.h"

#include <vector>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  std::vector<char*> blocks;
  for (int i = 0; i < 64; ++i) {
    blocks.push_back(new char[256 << 20]);
    blocks.back()[0] = 1;
  }
  return q;
}
}  // namespace kata

// expect: memory_limit_exceeded
// why: a forked child fills memory while the worker waits for it: the limit covers every process of the run
#include "causal_attention.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  if (fork() == 0) {
    std::vector<char*> blocks;
    for (int i = 0; i < 40; ++i) {
      blocks.push_back(static_cast<char*>(std::malloc(128 << 20)));
      if (blocks.back()) std::memset(blocks.back(), 1, 128 << 20);
    }
    _exit(0);
  }
  int status = 0;
  wait(&status);
  return q;
}
}  // namespace kata

// expect: runtime_error
// why: writes a forged reply (a huge frame header, then garbage) straight into the worker's connection to
//      the checker: the checker decodes it as hostile, ends the worker and fails the check
#include "causal_attention.h"

#include <unistd.h>

#include <cstdint>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  for (int fd = 3; fd < 16; ++fd) {
    uint64_t length = ~0ULL;
    [[maybe_unused]] ssize_t a = write(fd, &length, sizeof length);
    [[maybe_unused]] ssize_t b = write(fd, "accepted accepted accepted", 26);
  }
  return q;
}
}  // namespace kata

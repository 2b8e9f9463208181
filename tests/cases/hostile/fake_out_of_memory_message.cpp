// expect: runtime_error
// why: throws an exception whose message says bad_alloc: an exception is judged by its type, not its text
#include "causal_attention.h"

#include <stdexcept>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) {
  throw std::runtime_error("std::bad_alloc: DefaultCPUAllocator: can't allocate memory");
}
}  // namespace kata

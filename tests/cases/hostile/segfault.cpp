// expect: runtime_error
// why: a crash is reported by its signal and the check that was running
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  volatile int* nowhere = nullptr;
  *nowhere = 42;
  return q;
}
}  // namespace kata

// expect: runtime_error
// why: exits with the code the old test host used for "could not load" (97): an exit is an exit
#include "causal_attention.h"

#include <unistd.h>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  _exit(97);
  return q;
}
}  // namespace kata

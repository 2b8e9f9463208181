// expect: compile_error
// why: the reference lives only in the checker; the worker cannot load a file that needs it, and says so
#include "causal_attention.h"

namespace reference::kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
}

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return reference::kata::causal_attention(q, k, v);
}
}  // namespace kata

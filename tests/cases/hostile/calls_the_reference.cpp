// expect: compile_error
// why: the reference lives inside the hidden tests with internal linkage, so calling it cannot link
#include "causal_attention.h"

namespace reference::kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
}

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return reference::kata::causal_attention(q, k, v);
}
}  // namespace kata

// expect: compile_error
// why: asks the linker to pull in the hidden checks (which hold the reference): the link runs in a jail
//      where the build tree does not exist
#include "causal_attention.h"

#pragma comment(lib, "../../../build/judge/causal_attention/libchecks_causal_attention.so")
#pragma comment(lib, "/work/main/build/judge/causal_attention/libchecks_causal_attention.so")

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

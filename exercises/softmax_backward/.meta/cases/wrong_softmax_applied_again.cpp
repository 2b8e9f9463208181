// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: y taken for the logits x (softmax applied again)
// why: the contract passes y = softmax(x), not x: use y as it is; softmax(y) is a different, flatter distribution
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto s = torch::softmax(y, dim);
  return s * (grad_y - (grad_y * s).sum(dim, /*keepdim=*/true));
}
}  // namespace kata

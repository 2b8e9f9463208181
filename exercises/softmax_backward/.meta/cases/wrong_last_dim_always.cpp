// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: sum along the last dimension whatever dim is
// why: the softmax ran along dim, which need not be the last one; sum along dim (negative values count from the end)
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return y * (grad_y - (grad_y * y).sum(-1, /*keepdim=*/true));
}
}  // namespace kata

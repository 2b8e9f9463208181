// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: mean along dim instead of sum
// why: the contraction sum_j y_j grad_y_j is a sum; a mean divides it by the row's length
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return y * (grad_y - (grad_y * y).mean(dim, /*keepdim=*/true));
}
}  // namespace kata

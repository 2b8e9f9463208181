// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: sum over the whole tensor instead of along dim
// why: sum(grad_y * y) is one number per softmax row: sum along dim with keepdim=true, not over every element
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return y * (grad_y - (grad_y * y).sum());
}
}  // namespace kata

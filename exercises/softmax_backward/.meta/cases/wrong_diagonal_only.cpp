// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: diagonal of the Jacobian only (grad_y * y * (1 - y))
// why: softmax is not an element-wise sigmoid: every output depends on every input of the row, so the off-diagonal -y_i y_j terms count; grad_x = y * (grad_y - sum(grad_y * y))
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return grad_y * y * (1 - y);
}
}  // namespace kata

// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: the sum term left out (grad_x = y * grad_y)
// why: only the diagonal y_i delta_ij of the Jacobian is used; the -y_i y_j part gives the term -y * sum(grad_y * y) along dim
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return y * grad_y;
}
}  // namespace kata

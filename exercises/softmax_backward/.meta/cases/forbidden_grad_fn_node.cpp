// expect: forbidden_call
// why: recomputes the softmax from log(y) and calls autograd's own SoftmaxBackward node, (*s.grad_fn())({grad_y}): no engine and no torch::autograd::grad, yet it is still autograd's backward; the judge rejects grad_fn() by name
#include "softmax_backward.h"

namespace kata {

torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  torch::AutoGradMode enable(true);
  auto x = y.log().detach().requires_grad_(true);
  auto s = torch::softmax(x, dim);
  return (*s.grad_fn())({grad_y})[0];
}

}  // namespace kata

// expect: forbidden_call
// why: rebuilds x = log(y) and lets autograd differentiate softmax: right values, but the exercise is the backward by hand
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto x = y.log().detach().requires_grad_(true);
  auto out = torch::softmax(x, dim);
  return torch::autograd::grad({out}, {x}, {grad_y})[0];
}
}  // namespace kata

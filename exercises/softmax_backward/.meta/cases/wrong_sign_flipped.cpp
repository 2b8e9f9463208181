// expect: wrong_answer SoftmaxBackward.OutputFloat64
// mistake: sign flipped (y * (sum - grad_y))
// why: grad_x = y * (grad_y - sum(grad_y * y)): the upstream gradient comes first; flipped, every step goes uphill
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return y * ((grad_y * y).sum(dim, /*keepdim=*/true) - grad_y);
}
}  // namespace kata

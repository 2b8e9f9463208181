// expect: forbidden_call
// why: calls LibTorch's own softmax backward kernel, the very thing the exercise asks for
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  return at::_softmax_backward_data(grad_y, y, dim, y.scalar_type());
}
}  // namespace kata

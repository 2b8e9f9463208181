#include "softmax_backward.h"

namespace kata {

torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  // J = diag(y) - y y^T along dim, so J^T grad_y = y * grad_y - y * (y . grad_y): never form J.
  auto dot = (grad_y * y).sum(dim, /*keepdim=*/true);  // (..., 1, ...)
  return y * (grad_y - dot);                            // broadcast over dim
}

}  // namespace kata

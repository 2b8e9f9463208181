// expect: memory_limit_exceeded
// why: builds the n x n Jacobian diag(y) - y y^T for every row and multiplies: right values, but over 30000 classes that is 7 GB per row
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto y_last = y.movedim(dim, -1), g_last = grad_y.movedim(dim, -1);
  auto jacobian = torch::diag_embed(y_last) - y_last.unsqueeze(-1) * y_last.unsqueeze(-2);  // (..., n, n)
  return torch::matmul(jacobian, g_last.unsqueeze(-1)).squeeze(-1).movedim(-1, dim);
}
}  // namespace kata

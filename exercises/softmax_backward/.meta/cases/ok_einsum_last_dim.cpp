// expect: accepted
// why: einsum for the row dot product after moving dim last and flattening the leading dimensions
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto y_last = y.movedim(dim, -1), g_last = grad_y.movedim(dim, -1);
  auto n = y_last.size(-1);
  auto y2 = y_last.reshape({-1, n}), g2 = g_last.reshape({-1, n});
  auto dot = torch::einsum("rn,rn->r", {y2, g2}).unsqueeze(-1);
  return (y2 * (g2 - dot)).reshape(y_last.sizes()).movedim(-1, dim);
}
}  // namespace kata

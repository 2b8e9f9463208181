// expect: accepted
// why: moves dim last and computes the per-row dot product y . grad_y as a batched [1, n] x [n, 1] matmul
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto y_last = y.movedim(dim, -1), g_last = grad_y.movedim(dim, -1);               // (..., n)
  auto dot = torch::matmul(g_last.unsqueeze(-2), y_last.unsqueeze(-1)).squeeze(-1);  // (..., 1)
  return (y_last * (g_last - dot)).movedim(-1, dim);
}
}  // namespace kata

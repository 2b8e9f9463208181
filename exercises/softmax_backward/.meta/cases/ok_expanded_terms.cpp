// expect: accepted
// why: the two terms of J^T grad_y written out separately: y * grad_y minus y times its row sum
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto first = y * grad_y;
  auto second = y * first.sum(dim, /*keepdim=*/true);
  return first - second;
}
}  // namespace kata

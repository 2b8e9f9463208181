// Contract for the softmax_backward exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_SOFTMAX_BACKWARD_H
#define KATA_SOFTMAX_BACKWARD_H

#include <torch/torch.h>

namespace kata {
// y = softmax(x, dim) (given, not x), grad_y = dL/dy, both of one shape and one floating dtype;
// dim may be negative. Returns grad_x = dL/dx, of y's shape and dtype: the Jacobian-vector product
//   grad_x = y * (grad_y - sum_j(grad_y * y) over dim, kept as a size-1 dimension)
// computed with tensor ops, without autograd (no backward(), no torch::autograd::grad) and without
// LibTorch's softmax backward ops.
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim);
}  // namespace kata

#endif

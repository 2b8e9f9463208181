// expect: forbidden_call
// why: Tensor::backward() through a recomputed softmax, then reads x.grad(): autograd again, spelled as a method
#include "softmax_backward.h"

namespace kata {
torch::Tensor softmax_backward(const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim) {
  auto x = y.log().detach().requires_grad_(true);
  torch::softmax(x, dim).backward(grad_y);
  return x.grad();
}
}  // namespace kata

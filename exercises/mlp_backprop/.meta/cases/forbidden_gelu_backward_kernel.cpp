// expect: forbidden_call
// why: calls GELU's backward kernel itself, through the function pointer the GeluBackwardKernel dispatch stub holds, on a TensorIterator: no op is called, but it is LibTorch's derivative of GELU
#include "mlp_backprop.h"

#include <cmath>
#include <ATen/TensorIterator.h>
#include <ATen/native/Activation.h>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  auto z = torch::matmul(x, w1.t()) + b1;
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z);
  auto pred = torch::matmul(h, w2.t()) + b2;
  auto err = pred - y;
  auto loss = err.pow(2).mean();
  auto dpred = 2 * err / err.numel();
  auto dh = torch::matmul(dpred, w2);
  torch::Tensor dz;
  if (activation == "relu") {
    dz = dh * (z > 0).to(z.scalar_type());
  } else {
    dz = torch::empty_like(z);
    auto iter = at::TensorIteratorConfig().add_output(dz).add_input(dh).add_input(z).build();
    // the CPU kernel's function pointer, held by the stub
    (*decltype(at::native::GeluBackwardKernel)::DEFAULT)(iter, at::native::GeluType::None);
  }
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), torch::matmul(dpred.t(), h), dpred.sum(0)};
}

}  // namespace kata

// expect: forbidden_call
// why: builds autograd's generated GeluBackward0 node itself, saves z in it and applies it to dh: no grad_fn(), no engine, but still autograd's derivative of GELU
#include "mlp_backprop.h"

#include <cmath>
#include <torch/csrc/autograd/generated/Functions.h>

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
    auto node = std::make_shared<torch::autograd::generated::GeluBackward0>();
    node->self_ = torch::autograd::SavedVariable(z, /*is_output=*/false);
    node->approximate = "none";
    // any valid edge: apply computes only the outputs that have one
    node->add_next_edge(torch::autograd::Edge(node, 0));
    dz = node->apply({dh})[0];
  }
  return {loss, torch::matmul(dz.t(), x), dz.sum(0), torch::matmul(dpred.t(), h), dpred.sum(0)};
}

}  // namespace kata

// expect: accepted
// why: folds each bias into its weight as an extra input column of ones ([w | b] against [x | 1]), so each layer is one matmul and its weight-and-bias gradient one matmul too, split afterwards; torch::nn::functional::mse_loss for the loss; the ReLU mask by torch::heaviside(z, 0) (0 at z = 0); the GELU derivative with Phi from torch::special::ndtr
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  const int64_t N = x.size(0), I = x.size(1), H = w1.size(0);
  auto with_ones = [N](const torch::Tensor& a) { return torch::cat({a, torch::ones({N, 1}, a.options())}, 1); };
  auto W1 = torch::cat({w1, b1.unsqueeze(1)}, 1);  // [H, I + 1]
  auto W2 = torch::cat({w2, b2.unsqueeze(1)}, 1);  // [O, H + 1]
  auto xa = with_ones(x);                           // [N, I + 1]
  auto z = xa.mm(W1.t());                           // [N, H]
  const bool relu = activation == "relu";
  auto h = relu ? torch::relu(z) : torch::gelu(z);
  auto ha = with_ones(h);                           // [N, H + 1]
  auto pred = ha.mm(W2.t());                        // [N, O]
  auto loss = torch::nn::functional::mse_loss(pred, y);

  auto dpred = (pred - y) * (2.0 / static_cast<double>(pred.numel()));
  auto dW2 = dpred.t().mm(ha);  // [O, H + 1]
  auto dh = dpred.mm(w2);       // [N, H] (the ones column has no input to pass gradient to)
  torch::Tensor act_grad;
  if (relu) {
    act_grad = torch::heaviside(z, torch::zeros({}, z.options()));
  } else {
    act_grad = torch::special::ndtr(z) + z * torch::exp(-0.5 * z.square()) / std::sqrt(2.0 * M_PI);
  }
  auto dW1 = (dh * act_grad).t().mm(xa);  // [H, I + 1]
  return {loss, dW1.narrow(1, 0, I), dW1.select(1, I), dW2.narrow(1, 0, H), dW2.select(1, H)};
}

}  // namespace kata

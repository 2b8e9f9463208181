// Contract for the mlp_backprop exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_MLP_BACKPROP_H
#define KATA_MLP_BACKPROP_H

#include <string>

#include <torch/torch.h>

namespace kata {
// The loss and its gradients with respect to the four parameters, each of that parameter's shape and dtype.
struct MlpGrads {
  torch::Tensor loss;      // [] (0-dim)
  torch::Tensor dw1, db1;  // [hidden, in], [hidden]
  torch::Tensor dw2, db2;  // [out, hidden], [out]
};
// x: [N, in], y: [N, out], w1: [hidden, in], b1: [hidden], w2: [out, hidden], b2: [out]; one floating dtype
// for all six (float32 or float64), every size >= 1 (any of them may be exactly 1), any of them may be a
// non-contiguous view (w1 or w2 stored transposed, x a slice of a wider tensor). The forward pass is
//   z    = x w1^T + b1                    [N, hidden]   the pre-activation
//   h    = act(z)                         [N, hidden]
//   pred = h w2^T + b2                    [N, out]
//   loss = mean over all N * out elements of (pred - y)^2       (torch::mse_loss's default, reduction mean)
// with act given by `activation`, exactly "relu" or "gelu":
//   relu(z) = max(z, 0); its derivative is 1 for z > 0 and 0 for z <= 0 (ReLU'(0) = 0, as in PyTorch; the
//             checks never put a pre-activation at exactly 0);
//   gelu(z) = z * Phi(z), with Phi(z) = (1 + erf(z / sqrt(2))) / 2 the standard normal CDF: the exact,
//             erf-based GELU (torch::gelu's default, approximate = "none"), not the tanh approximation.
// Returns the loss (0-dim) and dw1 = dL/dw1, db1 = dL/db1, dw2 = dL/dw2, db2 = dL/db2, all in the inputs'
// dtype, computed by hand with tensor ops (forward, then backward through the four lines above). No eps,
// no tie-breaking. The inputs never require grad and must be left unchanged.
// Not allowed (the judge rejects them by name): autograd (backward(), torch::autograd::grad, grad_fn(),
// autograd's generated nodes such as GeluBackward0), LibTorch's activation backward ops (gelu_backward,
// threshold_backward, and the backward ops of activations that can act as ReLU: leaky_relu, hardtanh, elu,
// prelu, rrelu, softplus), its loss backward ops (mse_loss_backward, huber_loss_backward,
// smooth_l1_loss_backward), the kernels behind them (dispatch stubs), and calling ops by name (the
// dispatcher, TorchScript). Forward ops (matmul, linear, relu, gelu, erf, exp, mse_loss, ...) are fine.
MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation);
}  // namespace kata

#endif

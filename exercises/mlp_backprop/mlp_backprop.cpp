// Your solution: implement kata::mlp_backprop as README.md and mlp_backprop.h describe.
// Judge it with: ./kata judge mlp_backprop
#include "mlp_backprop.h"

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  // Forward: z = x w1^T + b1, h = act(z), pred = h w2^T + b2, loss = mean((pred - y)^2).
  // TODO: backward: dpred = 2 (pred - y) / (N * out); dw2 = dpred^T h, db2 = dpred summed over the batch;
  //       dh = dpred w2; dz = dh * act'(z); dw1 = dz^T x, db1 = dz summed over the batch.
  return {torch::zeros({}, x.options()), torch::zeros_like(w1), torch::zeros_like(b1), torch::zeros_like(w2),
          torch::zeros_like(b2)};
}

}  // namespace kata

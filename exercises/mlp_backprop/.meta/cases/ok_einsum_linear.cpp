// expect: accepted
// why: torch::linear for the forward and einsum with named indices (n example, i input, j hidden, o output) for every gradient, so no transpose can be swapped; the ReLU derivative as the sign of h, the GELU derivative through the normal pdf written as exp(log pdf)
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  auto z = torch::linear(x, w1, b1);  // nj
  auto h = activation == "relu" ? torch::relu(z) : torch::gelu(z, "none");
  auto pred = torch::linear(h, w2, b2);  // no
  auto r = pred - y;
  auto loss = (r * r).sum() / r.numel();

  auto g = r * 2 / r.numel();                    // no
  auto dw2 = torch::einsum("no,nj->oj", {g, h});  // oj
  auto dh = torch::einsum("no,oj->nj", {g, w2});  // nj
  torch::Tensor dz;
  if (activation == "relu") {
    dz = dh * h.sign();  // h > 0 exactly where z > 0, and h = 0 elsewhere
  } else {
    auto log_pdf = -0.5 * z.square() - 0.5 * std::log(2.0 * M_PI);
    dz = dh * (0.5 * torch::erfc(-z / std::sqrt(2.0)) + z * log_pdf.exp());
  }
  auto dw1 = torch::einsum("nj,ni->ji", {dz, x});
  return {loss, dw1, torch::einsum("nj->j", {dz}), dw2, torch::einsum("no->o", {g})};
}

}  // namespace kata

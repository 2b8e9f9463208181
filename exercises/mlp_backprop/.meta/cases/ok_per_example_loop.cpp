// expect: accepted
// why: example by example, as on a whiteboard: one row's forward with mv, its gradients as outer products accumulated over the batch, the mean's 1 / (N * out) applied once at the end; the GELU derivative written as the derivative of 0.5 z (1 + erf(z / sqrt 2)) with the erf term differentiated by hand
#include "mlp_backprop.h"

#include <cmath>

namespace kata {

MlpGrads mlp_backprop(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w1, const torch::Tensor& b1,
                      const torch::Tensor& w2, const torch::Tensor& b2, const std::string& activation) {
  const int64_t N = x.size(0), O = w2.size(0);
  auto total = torch::zeros({}, x.options());
  auto dw1 = torch::zeros_like(w1), db1 = torch::zeros_like(b1);
  auto dw2 = torch::zeros_like(w2), db2 = torch::zeros_like(b2);
  for (int64_t i = 0; i < N; ++i) {
    auto xi = x[i], yi = y[i];
    auto z = w1.mv(xi) + b1;  // [H]
    torch::Tensor h, dh_dz;
    if (activation == "relu") {
      h = z.clamp_min(0);
      dh_dz = torch::where(z > 0, torch::ones_like(z), torch::zeros_like(z));
    } else {
      auto e = torch::erf(z * (1.0 / std::sqrt(2.0)));
      h = 0.5 * z * (1 + e);
      // d/dz erf(z / sqrt 2) = (2 / sqrt pi) exp(-z^2 / 2) / sqrt 2
      auto de = std::sqrt(2.0 / M_PI) * torch::exp(-0.5 * z * z);
      dh_dz = 0.5 * (1 + e) + 0.5 * z * de;
    }
    auto r = w2.mv(h) + b2 - yi;  // [O] residual
    total = total + r.dot(r);
    auto g = 2 * r;  // d(sum of r^2)/d pred, the mean's 1 / (N * O) comes at the end
    dw2 += torch::outer(g, h);
    db2 += g;
    auto dz = w2.t().mv(g) * dh_dz;
    dw1 += torch::outer(dz, xi);
    db1 += dz;
  }
  const double scale = 1.0 / static_cast<double>(N * O);
  return {total * scale, dw1 * scale, db1 * scale, dw2 * scale, db2 * scale};
}

}  // namespace kata

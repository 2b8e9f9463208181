// expect: accepted
// why: angles broadcast against a [T, 1] view, sin and cos written into a [T, d/2, 2] buffer, then viewed as [T, d]
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto i = torch::arange(d_model / 2, f64);
  auto angles = positions.to(torch::kFloat64).view({-1, 1}) / torch::pow(base, 2 * i / d_model);  // (T, d/2)
  auto pe = torch::empty({positions.size(0), d_model / 2, 2}, f64);
  pe.select(2, 0).copy_(angles.sin());
  pe.select(2, 1).copy_(angles.cos());
  return pe.view({-1, d_model}).to(torch::kFloat32);
}
}  // namespace kata

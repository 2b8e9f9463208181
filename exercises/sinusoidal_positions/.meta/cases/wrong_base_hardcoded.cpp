// expect: wrong_answer SinusoidalPositions.CustomBase
// mistake: base hard-coded to 10000
// why: the base argument is ignored; the frequencies are base^(-2i/d_model) for the base given
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(10000.0, -torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

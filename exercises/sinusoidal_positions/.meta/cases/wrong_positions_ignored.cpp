// expect: wrong_answer SinusoidalPositions.GivenPositions
// mistake: row t encodes t, not positions[t]
// why: arange(T) assumes positions start at 0 and count up; with a cache or packed sequences they do not: use the positions given
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(torch::arange(positions.size(0), f64), inv_freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

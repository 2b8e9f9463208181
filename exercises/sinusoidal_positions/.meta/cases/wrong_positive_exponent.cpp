// expect: wrong_answer SinusoidalPositions.FirstPositions
// mistake: angles multiplied by base^(2i/d_model) instead of divided
// why: the wavelengths grow with i: the angle is position / base^(2i/d_model), a frequency base^(-2i/d_model) of at most 1
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto freq = torch::pow(base, torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat64), freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

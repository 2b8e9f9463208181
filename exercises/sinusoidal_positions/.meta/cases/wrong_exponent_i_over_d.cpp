// expect: wrong_answer SinusoidalPositions.FirstPositions
// mistake: frequency base^(-i/d_model) instead of base^(-2i/d_model)
// why: i is the pair index, so the exponent is 2i/d_model (or the even dimension index over d_model); i/d_model makes every frequency but the first too high
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model / 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

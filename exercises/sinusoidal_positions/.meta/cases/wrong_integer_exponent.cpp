// expect: wrong_answer SinusoidalPositions.FirstPositions
// mistake: exponent 2i/d_model in integer arithmetic
// why: 2 * i / d_model with integers is 0 for every pair, so every frequency is 1; compute the exponent in floating point
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto exponent = torch::arange(0, d_model, 2, torch::kInt64).div(d_model, /*rounding_mode=*/"floor");
  auto inv_freq = torch::pow(base, -exponent.to(torch::kFloat64));
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

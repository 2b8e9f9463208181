// expect: wrong_answer SinusoidalPositions.InterleavedLayout
// mistake: cos at the even dimensions, sin at the odd
// why: the contract has sin at 2i and cos at 2i+1; at position 0 that reads 0, 1, 0, 1, ...
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  return torch::stack({angles.cos(), angles.sin()}, -1).flatten(-2).to(torch::kFloat32);
}
}  // namespace kata

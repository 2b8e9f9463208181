// expect: wrong_answer SinusoidalPositions.LargePositions
// mistake: angles computed in float32
// why: torch::arange and a float cast give float32 angles: at position 1e5 that is ~1e-2 rad off; compute in float64 and round once at the end
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model, 2, torch::kFloat32) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat32), inv_freq);
  return torch::stack({angles.sin(), angles.cos()}, -1).flatten(-2);
}
}  // namespace kata

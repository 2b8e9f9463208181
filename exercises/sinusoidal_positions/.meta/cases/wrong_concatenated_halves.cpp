// expect: wrong_answer SinusoidalPositions.InterleavedLayout
// mistake: all the sines, then all the cosines
// why: tensor2tensor's layout cat({sin, cos}, -1) puts sin in the first half and cos in the second; the contract interleaves them: sin at 2i, cos at 2i+1 (stack on a new last dim, then flatten)
#include "sinusoidal_positions.h"

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  return torch::cat({angles.sin(), angles.cos()}, /*dim=*/-1).to(torch::kFloat32);
}
}  // namespace kata

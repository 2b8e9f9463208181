// Your solution: implement kata::sinusoidal_positions as README.md and sinusoidal_positions.h describe.
// Judge it with: ./kata judge sinusoidal_positions
#include "sinusoidal_positions.h"

namespace kata {

torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  // positions: (T) -> pe: (T, d_model) float32
  // TODO: pe[t, 2i] = sin(positions[t] / base^(2i/d_model)), pe[t, 2i+1] = cos(the same angle)
  return torch::zeros({positions.size(0), d_model}, torch::kFloat32);
}

}  // namespace kata

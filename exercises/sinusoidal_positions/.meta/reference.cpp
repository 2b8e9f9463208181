#include "sinusoidal_positions.h"

namespace kata {

torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  // Everything in float64, rounded once at the end: at position 1e5 a float32 angle is already off by
  // ~4e-3 rad, far more than the float32 result can hold.
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(positions.device());
  auto inv_freq = torch::pow(base, -torch::arange(0, d_model, 2, f64) / static_cast<double>(d_model));  // (d/2)
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);                                  // (T, d/2)
  // Interleave: sin at 2i, cos at 2i+1.
  auto pe = torch::stack({angles.sin(), angles.cos()}, /*dim=*/-1).flatten(/*start_dim=*/-2);  // (T, d)
  return pe.to(torch::kFloat32);
}

}  // namespace kata

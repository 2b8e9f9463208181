// Contract for the sinusoidal_positions exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_SINUSOIDAL_POSITIONS_H
#define KATA_SINUSOIDAL_POSITIONS_H

#include <torch/torch.h>

namespace kata {
// positions: [T] int64 (any values >= 0, in any order); d_model even, >= 2.
// Returns pe: [T, d_model] float32, the sinusoidal encodings of "Attention Is All You Need":
//   pe[t, 2i]   = sin(positions[t] / base^(2i / d_model))
//   pe[t, 2i+1] = cos(positions[t] / base^(2i / d_model))      for i = 0 .. d_model/2 - 1
// computed in float64 and rounded to float32 once, at the end (positions reach the hundreds of
// thousands in long contexts, where float32 angles are off by more than float32's own rounding).
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base = 10000.0);
}  // namespace kata

#endif

// Contract for the rope exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_ROPE_H
#define KATA_ROPE_H

#include <torch/torch.h>

namespace kata {
// x: [batch, heads, seq, head_dim] with even head_dim; positions: [seq] int64.
// Rotates each pair (x[..., 2i], x[..., 2i+1]) at sequence index t by the angle
// positions[t] * base^(-2i / head_dim):
//   out[..., 2i]   = x[..., 2i] * cos - x[..., 2i+1] * sin
//   out[..., 2i+1] = x[..., 2i] * sin + x[..., 2i+1] * cos
// Returns a tensor of x's shape and dtype.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base = 10000.0);
}  // namespace kata

#endif

// expect: wrong_answer Rope.OutputFloat32
// mistake: float32 input returned as float64
// why: cos/sin computed in float64 and never cast back, so float32 input is promoted to a float64 output
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, torch::kFloat64) / hs);
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);
  auto even = x.index({"...", Slice(0, None, 2)}), odd = x.index({"...", Slice(1, None, 2)});
  return torch::stack({even * angles.cos() - odd * angles.sin(), even * angles.sin() + odd * angles.cos()}, -1)
      .flatten(-2);
}

}  // namespace kata

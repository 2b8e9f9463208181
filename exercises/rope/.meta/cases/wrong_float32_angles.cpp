// expect: wrong_answer Rope.OutputFloat64
// mistake: angles computed in float32
// why: inv_freq and angles built with the default dtype (float32), so float64 input gets float32-accurate angles
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = 1.0 / torch::pow(base, torch::arange(0, hs, 2, torch::kFloat) / hs);
  auto angles = torch::outer(positions.to(torch::kFloat), inv_freq);
  auto even = x.index({"...", Slice(0, None, 2)}), odd = x.index({"...", Slice(1, None, 2)});
  return torch::stack({even * angles.cos() - odd * angles.sin(), even * angles.sin() + odd * angles.cos()}, -1)
      .flatten(-2);
}

}  // namespace kata

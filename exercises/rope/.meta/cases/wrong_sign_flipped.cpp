// expect: wrong_answer Rope.OutputFloat64
// mistake: rotation by -angle
// why: sin terms with the signs swapped: rotates by -angle (still a rotation, still relative, but not the contract)
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, x.options()) / hs);
  auto angles = torch::outer(positions.to(x.scalar_type()), inv_freq);
  auto even = x.index({"...", Slice(0, None, 2)}), odd = x.index({"...", Slice(1, None, 2)});
  return torch::stack({even * angles.cos() + odd * angles.sin(), odd * angles.cos() - even * angles.sin()}, -1)
      .flatten(-2);
}

}  // namespace kata

// expect: wrong_answer Rope.GivenPositions
// mistake: positions argument ignored
// why: the angle uses the sequence index t (arange(T)) and ignores the positions argument
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t T = x.size(2), hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, x.options()) / hs);
  auto angles = torch::outer(torch::arange(T, x.options()), inv_freq);
  auto even = x.index({"...", Slice(0, None, 2)}), odd = x.index({"...", Slice(1, None, 2)});
  return torch::stack({even * angles.cos() - odd * angles.sin(), even * angles.sin() + odd * angles.cos()}, -1)
      .flatten(-2);
}

}  // namespace kata

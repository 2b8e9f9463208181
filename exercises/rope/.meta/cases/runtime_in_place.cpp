// expect: runtime_error
// why: `auto out = x;` shares x's data, so index_put_ writes into x (Rope.GradientsX throws: in-place on a leaf)
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, x.options()) / hs);
  auto angles = torch::outer(positions.to(x.scalar_type()), inv_freq);
  auto even = x.index({"...", Slice(0, None, 2)}).clone(), odd = x.index({"...", Slice(1, None, 2)}).clone();
  auto out = x;
  out.index_put_({"...", Slice(0, None, 2)}, even * angles.cos() - odd * angles.sin());
  out.index_put_({"...", Slice(1, None, 2)}, even * angles.sin() + odd * angles.cos());
  return out;
}

}  // namespace kata

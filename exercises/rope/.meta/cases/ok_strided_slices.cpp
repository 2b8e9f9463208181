// expect: accepted
// why: even/odd strided slices, rotated, then interleaved back with stack + flatten; angles in x's dtype
#include "rope.h"

using torch::indexing::None;
using torch::indexing::Slice;

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t d = x.size(-1);
  auto i = torch::arange(d / 2, x.options());
  auto theta = positions.to(x.dtype()).unsqueeze(1) * torch::exp(-2.0 * i / d * std::log(base));  // (T, d/2)
  auto c = theta.cos(), s = theta.sin();
  auto even = x.index({"...", Slice(0, None, 2)});
  auto odd = x.index({"...", Slice(1, None, 2)});
  return torch::stack({even * c - odd * s, even * s + odd * c}, -1).flatten(-2);
}

}  // namespace kata

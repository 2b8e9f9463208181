// expect: accepted
// why: cos/sin caches widened with repeat_interleave, out = x*cos + rotate_pairs(x)*sin; float32 angles for float32
#include "rope.h"

namespace kata {

// (x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)
static torch::Tensor rotate_pairs(const torch::Tensor& x) {
  auto pairs = x.unflatten(-1, {-1, 2});
  return torch::stack({-pairs.select(-1, 1), pairs.select(-1, 0)}, -1).flatten(-2);
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = 1.0 / torch::pow(torch::full({hs / 2}, base, x.options()), torch::arange(0, hs, 2, x.options()) / hs);
  auto freqs = positions.to(x.options()).unsqueeze(-1) * inv_freq;  // (T, hs/2)
  auto cos = freqs.cos().repeat_interleave(2, -1);                  // (T, hs)
  auto sin = freqs.sin().repeat_interleave(2, -1);
  return x * cos + rotate_pairs(x) * sin;
}

}  // namespace kata

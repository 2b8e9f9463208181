#include "rope.h"

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  // Angles in float64 whatever x's dtype: positions in the thousands times frequencies near 1 would lose
  // ~1e-4 rad to float32 rounding before the rotation even starts.
  auto f64 = x.options().dtype(torch::kFloat64);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, f64) / hs);  // (hs/2)
  auto angles = torch::outer(positions.to(torch::kFloat64), inv_freq);   // (T, hs/2)
  auto cos = angles.cos().to(x.scalar_type());
  auto sin = angles.sin().to(x.scalar_type());

  // Pair (2i, 2i+1) is the last axis of size 2 after this reshape.
  auto pairs = x.reshape({x.size(0), x.size(1), x.size(2), hs / 2, 2});  // (B, nh, T, hs/2, 2)
  auto x_even = pairs.select(/*dim=*/-1, /*index=*/0);                   // (B, nh, T, hs/2)
  auto x_odd = pairs.select(/*dim=*/-1, /*index=*/1);
  auto out_even = x_even * cos - x_odd * sin;
  auto out_odd = x_even * sin + x_odd * cos;
  return torch::stack({out_even, out_odd}, /*dim=*/-1).flatten(/*start_dim=*/-2);  // (B, nh, T, hs)
}

}  // namespace kata

// expect: accepted
// why: explicit loop over pairs with narrow() and scalar frequencies, concatenated at the end
#include "rope.h"

#include <cmath>

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t d = x.size(-1);
  auto pos = positions.to(x.scalar_type()).view({-1, 1});  // (T, 1), broadcasts over the pair
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < d / 2; ++i) {
    double freq = std::pow(base, -2.0 * i / d);
    auto angle = pos * freq;
    auto a = x.narrow(-1, 2 * i, 1), b = x.narrow(-1, 2 * i + 1, 1);
    parts.push_back(a * angle.cos() - b * angle.sin());
    parts.push_back(a * angle.sin() + b * angle.cos());
  }
  return torch::cat(parts, -1);
}

}  // namespace kata

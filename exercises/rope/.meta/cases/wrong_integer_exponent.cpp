// expect: wrong_answer Rope.OutputFloat64
// mistake: frequency exponent in integer arithmetic
// why: exponent -2*i/d in integer arithmetic is 0 for every pair, so every frequency is 1
#include "rope.h"

#include <cmath>

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t d = x.size(-1);
  auto pos = positions.to(x.scalar_type()).view({-1, 1});
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < d / 2; ++i) {
    auto angle = pos * std::pow(base, -2 * i / d);
    auto a = x.narrow(-1, 2 * i, 1), b = x.narrow(-1, 2 * i + 1, 1);
    parts.push_back(a * angle.cos() - b * angle.sin());
    parts.push_back(a * angle.sin() + b * angle.cos());
  }
  return torch::cat(parts, -1);
}

}  // namespace kata

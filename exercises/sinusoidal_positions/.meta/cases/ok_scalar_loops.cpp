// expect: accepted
// why: two plain loops with std::sin and std::cos in double, written through an accessor: slow, but exactly the formula
#include "sinusoidal_positions.h"

#include <cmath>

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto p = positions.contiguous();
  const int64_t T = p.size(0);
  auto pe = torch::empty({T, d_model}, torch::kFloat32);
  auto out = pe.accessor<float, 2>();
  auto pos = p.accessor<int64_t, 1>();
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < d_model / 2; ++i) {
      double angle = static_cast<double>(pos[t]) / std::pow(base, 2.0 * i / d_model);
      out[t][2 * i] = static_cast<float>(std::sin(angle));
      out[t][2 * i + 1] = static_cast<float>(std::cos(angle));
    }
  return pe;
}
}  // namespace kata

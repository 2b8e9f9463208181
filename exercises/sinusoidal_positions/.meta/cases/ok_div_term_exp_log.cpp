// expect: accepted
// why: the PyTorch tutorial's div_term = exp(arange(0, d, 2) * -log(base) / d), in float64, written into the even and odd columns with index_put_
#include "sinusoidal_positions.h"

#include <cmath>

namespace kata {
torch::Tensor sinusoidal_positions(const torch::Tensor& positions, int64_t d_model, double base) {
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto div_term = torch::exp(torch::arange(0, d_model, 2, f64) * (-std::log(base) / d_model));
  auto position = positions.to(torch::kFloat64).unsqueeze(1);
  auto pe = torch::zeros({positions.size(0), d_model}, f64);
  using torch::indexing::None;
  using torch::indexing::Slice;
  pe.index_put_({Slice(), Slice(0, None, 2)}, torch::sin(position * div_term));
  pe.index_put_({Slice(), Slice(1, None, 2)}, torch::cos(position * div_term));
  return pe.to(torch::kFloat32);
}
}  // namespace kata

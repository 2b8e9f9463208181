// expect: accepted
// why: complex-number formulation: pairs viewed as complex numbers times e^(i*angle), angles in x's own dtype
#include "rope.h"

namespace kata {

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& positions, double base) {
  const int64_t hs = x.size(-1);
  auto inv_freq = torch::pow(base, -torch::arange(0, hs, 2, x.options()) / hs);
  auto angles = torch::outer(positions.to(x.scalar_type()), inv_freq);  // (T, hs/2)
  auto rotation = torch::polar(torch::ones_like(angles), angles);          // e^(i*angle)
  auto z = torch::view_as_complex(x.reshape({x.size(0), x.size(1), x.size(2), hs / 2, 2}).contiguous());
  return torch::view_as_real(z * rotation).flatten(-2);
}

}  // namespace kata

#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x;  // evaluation: the identity
  if (p == 1.0) return x * 0.0;         // everything dropped; 1 / (1 - p) would be inf, and 0 * inf NaN
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto keep = torch::rand(x.sizes(), generator, x.options()) >= p;  // true with probability 1 - p
  return x * keep / (1.0 - p);  // inverted: survivors scaled up so the expectation stays x
}

}  // namespace kata

// expect: wrong_answer Dropout.SameSeedSameOutput
// mistake: draws from the global generator, not the seeded one
// why: torch::rand without a generator uses the process-wide one, so the same seed gives a different mask on every call and runs cannot be reproduced; pass at::make_generator<at::CPUGeneratorImpl>(seed) to torch::rand
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  return x * (torch::rand(x.sizes(), x.options()) >= p) / (1.0 - p);
}

}  // namespace kata

// expect: wrong_answer Dropout.KeptValuesScaled
// mistake: p used as the keep probability
// why: p is the probability of dropping (torch's convention; some papers and Keras' old API use the keep probability); keeping with probability p and scaling by 1 / p drops 1 - p of the units
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto keep = torch::empty_like(x).bernoulli_(p, generator);
  return x * keep / p;
}

}  // namespace kata

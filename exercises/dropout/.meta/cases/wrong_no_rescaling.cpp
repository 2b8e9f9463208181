// expect: wrong_answer Dropout.KeptValuesScaled
// mistake: kept elements not scaled by 1 / (1 - p)
// why: without the scaling the expected output in training is (1 - p) x while evaluation returns x, so every layer after it sees a different scale at test time; inverted dropout divides the survivors by 1 - p during training
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training) return x;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return x * (torch::rand(x.sizes(), generator, x.options()) >= p);
}

}  // namespace kata

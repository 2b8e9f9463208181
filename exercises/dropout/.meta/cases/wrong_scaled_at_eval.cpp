// expect: wrong_answer Dropout.EvalIsIdentity
// mistake: evaluation scaled as well (x / (1 - p) or x (1 - p) at test time)
// why: that is the pre-inverted recipe half applied: with inverted dropout the scaling happens in training only, and evaluation is exactly the identity
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training) return x * (1.0 - p);
  if (p == 1.0) return x * 0.0;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return x * (torch::rand(x.sizes(), generator, x.options()) >= p) / (1.0 - p);
}

}  // namespace kata

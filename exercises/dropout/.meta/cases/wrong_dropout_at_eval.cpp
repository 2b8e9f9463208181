// expect: wrong_answer Dropout.EvalIsIdentity
// mistake: training flag ignored (dropout applied in evaluation)
// why: at test time every unit must be present, or predictions become random; return x unchanged when training is false
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return x * (torch::rand(x.sizes(), generator, x.options()) >= p) / (1.0 - p);
}

}  // namespace kata

// expect: wrong_answer Dropout.EdgeProbabilities
// mistake: p = 1 gives NaN (0 * 1 / (1 - p))
// why: with p = 1 every element is dropped, but x * mask / (1 - p) computes 0 * inf = NaN; return zeros (x * 0, to keep the gradient defined) when p is 1
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training) return x;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return x * (torch::rand(x.sizes(), generator, x.options()) >= p) / (1.0 - p);
}

}  // namespace kata

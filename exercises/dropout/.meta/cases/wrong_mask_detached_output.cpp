// expect: wrong_answer Dropout.Gradients
// mistake: output built from x.detach() (no gradient reaches x)
// why: the values are right, but computing them from x.detach() (or x.data()) cuts the graph, so nothing upstream of dropout trains; only the mask needs no gradient, x must stay in the product
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x.detach() * 0.0;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  return x.detach() * (torch::rand(x.sizes(), generator, x.options()) >= p) / (1.0 - p);
}

}  // namespace kata

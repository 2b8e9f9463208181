// expect: accepted
// why: the mask as a bernoulli draw of keep probability 1 - p into a tensor of x's shape, divided up front (mask / (1 - p)) so one multiplication applies both; an explicit branch for evaluation, p = 0 and p = 1
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x.clone();
  if (p == 1.0) return torch::zeros_like(x) * x;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto scaled_mask = torch::empty_like(x, x.options().memory_format(torch::MemoryFormat::Contiguous))
                         .bernoulli_(1.0 - p, generator)
                         .div_(1.0 - p);
  return x * scaled_mask;
}

}  // namespace kata

// expect: accepted
// why: uniform draws in float64 whatever x's dtype, compared with p; torch::where picks x / (1 - p) or zero, which routes the gradient the same way a multiplication by the mask does
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training) return x;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto u = torch::rand(x.sizes(), generator, torch::TensorOptions().dtype(torch::kFloat64));
  if (p >= 1.0) return x * 0;
  return torch::where(u < p, torch::zeros_like(x), x / (1.0 - p));
}

}  // namespace kata

// expect: wrong_answer Dropout.IndependentMasks
// mistake: one mask per feature, shared by every example of the batch
// why: a mask drawn for the last dimension only and broadcast drops the same features in every example of the batch; each element needs its own draw, a mask of x's full shape
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const int64_t features = x.dim() == 0 ? 1 : x.size(-1);
  auto keep = torch::rand({features}, generator, x.options()) >= p;
  return x * (x.dim() == 0 ? keep.squeeze() : keep) / (1.0 - p);
}

}  // namespace kata

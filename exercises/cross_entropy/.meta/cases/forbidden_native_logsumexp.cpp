// expect: forbidden_call
// why: at::native::logsumexp, the kernel's C++ entry point from <ATen/ops/logsumexp_native.h>, skips the dispatcher but is still LibTorch's stable log-sum-exp
#include "cross_entropy.h"

#include <ATen/ops/logsumexp_native.h>

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  const int64_t C = logits.size(1);
  auto logp = logits - at::native::logsumexp(logits, /*dim=*/{1}, /*keepdim=*/true);
  auto keep = targets != ignore_index;
  auto nll = -logp.gather(1, targets.masked_fill(~keep, 0).unsqueeze(1)).squeeze(1);
  auto loss = (1.0 - label_smoothing) * nll - (label_smoothing / C) * logp.sum(1);
  return loss.masked_select(keep).sum() / keep.sum();
}
}  // namespace kata

// expect: forbidden_call
// why: looks aten::cross_entropy_loss up by name in the dispatcher and calls it: no cross_entropy symbol appears in the source, but the by-name lookup is the route
#include "cross_entropy.h"

#include <ATen/core/dispatch/Dispatcher.h>

namespace kata {
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                            int64_t ignore_index) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("aten::cross_entropy_loss", "")
                       .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const c10::optional<at::Tensor>&,
                                         int64_t, int64_t, double)>();
  return op.call(logits, targets, c10::nullopt, at::Reduction::Mean, ignore_index, label_smoothing);
}
}  // namespace kata

// The cross_entropy contract across the trust boundary (see harness/host/binding.h).
#include "cross_entropy.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, cross_entropy,
                   (const torch::Tensor& logits, const torch::Tensor& targets, double label_smoothing,
                    int64_t ignore_index),
                   (logits, targets, label_smoothing, ignore_index))

// The softmax_backward contract across the trust boundary (see harness/host/binding.h).
#include "softmax_backward.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, softmax_backward, (const torch::Tensor& y, const torch::Tensor& grad_y, int64_t dim),
                   (y, grad_y, dim))

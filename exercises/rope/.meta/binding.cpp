// The rope contract across the trust boundary (see harness/host/binding.h).
#include "rope.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, apply_rope, (const torch::Tensor& x, const torch::Tensor& positions, double base),
                   (x, positions, base))

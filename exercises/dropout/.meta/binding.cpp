// The dropout contract across the trust boundary (see harness/host/binding.h).
#include "dropout.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, dropout, (const torch::Tensor& x, double p, bool training, int64_t seed),
                   (x, p, training, seed))

// The sinusoidal_positions contract across the trust boundary (see harness/host/binding.h).
#include "sinusoidal_positions.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, sinusoidal_positions,
                   (const torch::Tensor& positions, int64_t d_model, double base), (positions, d_model, base))

// The layer_norm contract across the trust boundary (see harness/host/binding.h).
#include "layer_norm.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, layer_norm,
                   (const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps),
                   (x, weight, bias, eps))
KATA_BIND_FUNCTION(torch::Tensor, rms_norm, (const torch::Tensor& x, const torch::Tensor& weight, double eps),
                   (x, weight, eps))

// The causal_attention contract across the trust boundary (see harness/host/binding.h).
#include "causal_attention.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, causal_attention,
                   (const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v), (q, k, v))

// The sampling contract across the trust boundary (see harness/host/binding.h).
#include "sampling.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, top_k_mask, (const torch::Tensor& logits, int64_t k), (logits, k))
KATA_BIND_FUNCTION(torch::Tensor, top_p_mask, (const torch::Tensor& logits, double p), (logits, p))
KATA_BIND_FUNCTION(torch::Tensor, sample,
                   (const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                    const torch::Tensor& u),
                   (logits, temperature, top_k, top_p, u))

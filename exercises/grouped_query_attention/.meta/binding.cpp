// The grouped_query_attention contract across the trust boundary (see harness/host/binding.h).
#include "grouped_query_attention.h"

#include "binding.h"

KATA_BIND_FUNCTION(torch::Tensor, gqa,
                   (const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal),
                   (q, k, v, causal))

// The flash_attention contract across the trust boundary (see harness/host/binding.h).
#include "flash_attention.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::FlashOutput, c.out, c.lse);

KATA_BIND_FUNCTION(kata::FlashOutput, flash_attention,
                   (const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                    int64_t block_size),
                   (q, k, v, causal, block_size))

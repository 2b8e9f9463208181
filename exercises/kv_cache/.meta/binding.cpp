// The kv_cache contract across the trust boundary (see harness/host/binding.h). The module, and so its
// cache, lives in the worker between calls.
#include "kv_cache.h"

#include "binding.h"

KATA_BIND_MODULE(CachedAttention, (int64_t d_model, int64_t n_heads), (d_model, n_heads))
KATA_BIND_METHOD(CachedAttention, torch::Tensor, forward, (const torch::Tensor& x, int64_t start_pos), (x, start_pos))

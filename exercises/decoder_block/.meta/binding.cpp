// The decoder_block contract across the trust boundary (see harness/host/binding.h).
#include "decoder_block.h"

#include "binding.h"

KATA_BIND_MODULE(DecoderBlock, (int64_t d_model, int64_t n_heads, int64_t d_ff), (d_model, n_heads, d_ff))
KATA_BIND_METHOD(DecoderBlock, torch::Tensor, forward, (const torch::Tensor& x), (x))

// The encoder_layer contract across the trust boundary (see harness/host/binding.h).
#include "encoder_layer.h"

#include "binding.h"

KATA_BIND_MODULE(EncoderLayer, (int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first),
                 (d_model, n_heads, d_ff, norm_first))
KATA_BIND_METHOD(EncoderLayer, torch::Tensor, forward, (const torch::Tensor& x, const torch::Tensor& key_padding_mask),
                 (x, key_padding_mask))

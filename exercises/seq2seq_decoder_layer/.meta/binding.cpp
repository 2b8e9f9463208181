// The seq2seq_decoder_layer contract across the trust boundary (see harness/host/binding.h). Attention is the
// layer's own building block: the checks reach it through the layer.
#include "seq2seq_decoder_layer.h"

#include "binding.h"

KATA_BIND_MODULE(DecoderLayer, (int64_t d_model, int64_t n_heads, int64_t d_ff), (d_model, n_heads, d_ff))
KATA_BIND_METHOD(DecoderLayer, torch::Tensor, forward,
                 (const torch::Tensor& x, const torch::Tensor& memory, const torch::Tensor& memory_padding_mask),
                 (x, memory, memory_padding_mask))

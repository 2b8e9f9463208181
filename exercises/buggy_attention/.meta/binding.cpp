// The buggy_attention contract across the trust boundary (see harness/host/binding.h).
#include "buggy_attention.h"

#include "binding.h"

KATA_BIND_MODULE(MultiHeadAttention, (int64_t d_model, int64_t n_heads), (d_model, n_heads))
KATA_BIND_METHOD(MultiHeadAttention, torch::Tensor, forward,
                 (const torch::Tensor& query, const torch::Tensor& key_value, const torch::Tensor& attn_mask,
                  const torch::Tensor& key_padding_mask),
                 (query, key_value, attn_mask, key_padding_mask))

// Contract for the buggy_attention exercise. Do not edit: the hidden tests are built against it.
// It is multi_head_attention's contract: the colleague's module, once fixed, must meet it exactly.
#ifndef KATA_BUGGY_ATTENTION_H
#define KATA_BUGGY_ATTENTION_H

#include <torch/torch.h>

namespace kata {
// Multi-head scaled dot-product attention, for self-attention (forward(x, x)) and cross-attention
// (forward(x, memory)):
//   q = q_proj(query), k = k_proj(key_value), v = v_proj(key_value)
//   split d_model into n_heads contiguous heads of size d_model / n_heads (head 0 is channels
//   0 .. head_size-1); per head, query i attends to key j with weights
//     softmax over the allowed j of  q_i . k_j / sqrt(head_size)
//   concatenate the heads in order and apply o_proj.
// Key j is allowed for query i when attn_mask[i][j] is true (if attn_mask is given) and
// key_padding_mask[b][j] is false (if key_padding_mask is given). The callers guarantee that every query
// has at least one allowed key. No dropout. Output in the dtype of the inputs and the module.
struct MultiHeadAttentionImpl : torch::nn::Module {
  MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads);
  // query: [batch, q_len, d_model]; key_value: [batch, kv_len, d_model]
  // attn_mask: bool [q_len, kv_len], true = may attend; undefined = every key
  // key_padding_mask: bool [batch, kv_len], true = padding (never attended to); undefined = no padding
  // returns [batch, q_len, d_model]
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key_value,
                        const torch::Tensor& attn_mask = {}, const torch::Tensor& key_padding_mask = {});

  int64_t n_heads;
  // Registered under exactly these names: Linear d_model -> d_model, with bias.
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(MultiHeadAttention);
}  // namespace kata

#endif

// Your solution: implement kata::MultiHeadAttention as README.md and multi_head_attention.h describe.
// Judge it with: ./kata judge multi_head_attention
#include "multi_head_attention.h"

namespace kata {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  // query: (B, Tq, C), key_value: (B, Tk, C); heads of size C / n_heads
  // TODO: project, split into heads, masked scaled dot-product attention, merge the heads, o_proj
  return torch::zeros_like(query);  // TODO: replace with multi-head attention
}

}  // namespace kata

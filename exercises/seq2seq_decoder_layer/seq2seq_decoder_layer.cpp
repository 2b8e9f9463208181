// Your solution: implement kata::Attention and kata::DecoderLayer as README.md and seq2seq_decoder_layer.h
// describe. Judge it with: ./kata judge seq2seq_decoder_layer
#include "seq2seq_decoder_layer.h"

namespace kata {

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  // TODO: register q_proj, k_proj, v_proj, o_proj
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                                     const torch::Tensor& key_padding_mask) {
  // query: (B, Tq, C); key_value: (B, Tk, C)
  return torch::zeros_like(query);  // TODO: multi-head attention with the causal and padding masks
}

DecoderLayerImpl::DecoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) {
  // TODO: register self_attn, cross_attn, fc1, fc2, ln1, ln2, ln3
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                        const torch::Tensor& memory_padding_mask) {
  // x: (B, T, C); memory: (B, S, C); memory_padding_mask: (B, S), true = padding, or undefined
  return x.clone();  // TODO: causal self-attention, cross-attention to memory, FFN, each pre-LN and residual
}

}  // namespace kata

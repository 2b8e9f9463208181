// expect: wrong_answer BuggyAttention.KeyPaddingMask
// mistake: key_padding_mask ignored
// why: the per-head copy replaced by attn_mask alone, and the padding forgotten: padded keys are attended to; hide them too, scores.masked_fill(key_padding_mask.view({B, 1, 1, kv_len}), -inf)
#include "buggy_attention.h"

#include <cmath>
#include <limits>

namespace kata {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2);
  const int64_t head_size = C / n_heads;

  // (B, T, C) -> (B, n_heads, T, head_size)
  auto q = q_proj(query).view({B, Tq, n_heads, head_size}).transpose(1, 2);
  auto k = k_proj(key_value).view({B, Tk, n_heads, head_size}).transpose(1, 2);
  auto v = v_proj(key_value).view({B, Tk, n_heads, head_size}).transpose(1, 2);

  // Scaled dot products, (B, n_heads, Tq, Tk).
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_size));

  // One [Tq, Tk] mask per sequence (true = hidden): the attention mask and the padded keys together, then one
  // copy per head, as nn.MultiheadAttention takes its [B * n_heads, Tq, Tk] masks.
  if (attn_mask.defined())  // (Tq, Tk) broadcasts over batch and heads
    scores = scores.masked_fill(attn_mask.logical_not(), -std::numeric_limits<double>::infinity());

  auto weights = torch::softmax(scores, /*dim=*/-1);  // attention weights, (B, n_heads, Tq, Tk)
  auto y = torch::matmul(weights, v);                 // (B, n_heads, Tq, head_size)
  y = y.transpose(1, 2).reshape({B, Tq, C});          // the heads side by side again
  return o_proj(y);
}

}  // namespace kata

// expect: runtime_error
// why: cross-attention takes its keys and values from the decoder's own stream instead of memory, so it is a second self-attention that never reads the source; with a padding mask of the source's length it cannot even broadcast, and masked_fill throws
#include "seq2seq_decoder_layer.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                                     const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2);
  const int64_t hs = C / n_heads;
  auto split_heads = [&](const torch::Tensor& t) { return t.reshape({B, t.size(1), n_heads, hs}).transpose(1, 2); };
  auto q = split_heads(q_proj(query));      // (B, nh, Tq, hs)
  auto k = split_heads(k_proj(key_value));  // (B, nh, Tk, hs)
  auto v = split_heads(v_proj(key_value));

  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, Tq, Tk)
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (causal)
    scores = scores.masked_fill(torch::ones({Tq, Tk}, query.options().dtype(torch::kBool)).triu(/*diagonal=*/1),
                                neg_inf);
  if (key_padding_mask.defined()) scores = scores.masked_fill(key_padding_mask.reshape({B, 1, 1, Tk}), neg_inf);
  auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, Tq, hs)
  return o_proj(y.transpose(1, 2).reshape({B, Tq, C}));
}

DecoderLayerImpl::DecoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) {
  self_attn = register_module("self_attn", Attention(d_model, n_heads));
  cross_attn = register_module("cross_attn", Attention(d_model, n_heads));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
  auto layer_norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)); };
  ln1 = register_module("ln1", layer_norm());
  ln2 = register_module("ln2", layer_norm());
  ln3 = register_module("ln3", layer_norm());
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                        const torch::Tensor& memory_padding_mask) {
  auto h = ln1(x);
  h = x + self_attn(h, h, /*causal=*/true, /*key_padding_mask=*/torch::Tensor());  // (B, T, C)
  auto n = ln2(h);
  h = h + cross_attn(n, n, /*causal=*/false, memory_padding_mask);
  return h + fc2(torch::relu(fc1(ln3(h))));
}

}  // namespace kata

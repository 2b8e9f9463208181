// expect: accepted
// why: attention with einsum on [B, T, heads, head_size] and one additive bias (0 allowed, -1e9 hidden) built from both masks; the layer written as three named sublayer steps
#include "seq2seq_decoder_layer.h"

#include <cmath>

namespace kata {

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                                     const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2), hs = C / n_heads;
  auto q = q_proj(query).reshape({B, Tq, n_heads, hs});
  auto k = k_proj(key_value).reshape({B, Tk, n_heads, hs});
  auto v = v_proj(key_value).reshape({B, Tk, n_heads, hs});
  auto bias = torch::zeros({B, 1, Tq, Tk}, query.options());
  if (causal) bias = bias.masked_fill(torch::arange(Tk).unsqueeze(0) > torch::arange(Tq).unsqueeze(1), -1e9);
  if (key_padding_mask.defined()) bias = bias.masked_fill(key_padding_mask.reshape({B, 1, 1, Tk}), -1e9);
  auto scores = torch::einsum("bihd,bjhd->bhij", {q, k}) / std::sqrt(static_cast<double>(hs)) + bias;
  return o_proj(torch::einsum("bhij,bjhd->bihd", {scores.softmax(-1), v}).reshape({B, Tq, C}));
}

DecoderLayerImpl::DecoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  self_attn = register_module("self_attn", Attention(d_model, n_heads));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  cross_attn = register_module("cross_attn", Attention(d_model, n_heads));
  ln3 = register_module("ln3", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                        const torch::Tensor& memory_padding_mask) {
  auto n1 = ln1(x);
  auto after_self = x + self_attn->forward(n1, n1, true, torch::Tensor());
  auto after_cross = after_self + cross_attn->forward(ln2(after_self), memory, false, memory_padding_mask);
  return after_cross + fc2(fc1(ln3(after_cross)).relu());
}

}  // namespace kata

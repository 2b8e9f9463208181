// expect: accepted
// why: attention with the heads folded into the batch for bmm (q scaled before the product), masks combined into one boolean "hidden" tensor filled with -infinity; the FFN through torch::nn::functional with the registered weights
#include "seq2seq_decoder_layer.h"

#include <cmath>
#include <limits>

namespace kata {

namespace F = torch::nn::functional;

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                                     const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2);
  const int64_t H = n_heads, hs = C / H;
  auto fold = [&](const torch::Tensor& t) {
    return t.reshape({B, t.size(1), H, hs}).permute({0, 2, 1, 3}).reshape({B * H, t.size(1), hs});
  };
  auto q = fold(q_proj(query)) / std::sqrt(static_cast<double>(hs));
  auto k = fold(k_proj(key_value)), v = fold(v_proj(key_value));
  auto hidden = torch::zeros({B, H, Tq, Tk}, query.options().dtype(torch::kBool));
  if (causal) hidden = hidden | torch::ones({Tq, Tk}, hidden.options()).triu(1);
  if (key_padding_mask.defined()) hidden = hidden | key_padding_mask.reshape({B, 1, 1, Tk});
  auto scores = torch::bmm(q, k.transpose(1, 2))
                    .masked_fill(hidden.reshape({B * H, Tq, Tk}), -std::numeric_limits<double>::infinity());
  auto y = torch::bmm(torch::softmax(scores, -1), v).reshape({B, H, Tq, hs}).permute({0, 2, 1, 3});
  return o_proj(y.reshape({B, Tq, C}));
}

DecoderLayerImpl::DecoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) {
  self_attn = register_module("self_attn", Attention(d_model, n_heads));
  cross_attn = register_module("cross_attn", Attention(d_model, n_heads));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  ln3 = register_module("ln3", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& memory,
                                        const torch::Tensor& memory_padding_mask) {
  auto a = ln1(x);
  auto h = x + self_attn(a, a, true, torch::Tensor());
  h = h + cross_attn(ln2(h), memory, false, memory_padding_mask);
  auto ffn = F::linear(F::relu(F::linear(ln3(h), fc1->weight, fc1->bias)), fc2->weight, fc2->bias);
  return h + ffn;
}

}  // namespace kata

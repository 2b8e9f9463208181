// expect: wrong_answer EncoderLayer.PostLN
// mistake: GELU instead of ReLU in the feed-forward network
// why: the original Transformer encoder layer (and PyTorch's default) uses ReLU, fc2(relu(fc1(t))); GELU is what GPT and BERT switched to
#include "encoder_layer.h"

#include <cmath>
#include <limits>

namespace kata {

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first)
    : n_heads(n_heads), norm_first(norm_first) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
  auto layer_norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)); };
  ln1 = register_module("ln1", layer_norm());
  ln2 = register_module("ln2", layer_norm());
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_heads;

  // Bidirectional self-attention: every position attends to every real (unpadded) one.
  auto attn = [&](const torch::Tensor& t) {
    auto split_heads = [&](const torch::Tensor& u) { return u.reshape({B, T, n_heads, hs}).transpose(1, 2); };
    auto q = split_heads(q_proj(t));  // (B, nh, T, hs)
    auto k = split_heads(k_proj(t));
    auto v = split_heads(v_proj(t));
    auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, T, T)
    if (key_padding_mask.defined())  // a padded key is hidden from every query of its sequence
      scores = scores.masked_fill(key_padding_mask.reshape({B, 1, 1, T}), -std::numeric_limits<double>::infinity());
    auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, T, hs)
    return o_proj(y.transpose(1, 2).reshape({B, T, C}));
  };
  auto ffn = [&](const torch::Tensor& t) { return fc2(torch::gelu(fc1(t))); };

  if (norm_first) {  // pre-LN: normalise each sublayer's input; the residual stream is never normalised
    auto h = x + attn(ln1(x));
    return h + ffn(ln2(h));
  }
  auto h = ln1(x + attn(x));  // post-LN: normalise after each residual addition
  return ln2(h + ffn(h));
}

}  // namespace kata

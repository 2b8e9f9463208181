// Contract for the encoder_layer exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_ENCODER_LAYER_H
#define KATA_ENCODER_LAYER_H

#include <torch/torch.h>

namespace kata {
// The Transformer encoder layer ("Attention Is All You Need"), post-LN by default, pre-LN when norm_first:
//   post-LN (norm_first false):  h = ln1(x + attn(x));        out = ln2(h + ffn(h))
//   pre-LN  (norm_first true):   h = x + attn(ln1(x));        out = h + ffn(ln2(h))
// attn(t): multi-head self-attention, o_proj(heads(q_proj(t), k_proj(t), v_proj(t))), d_model split into
//   n_heads contiguous heads of size d_model / n_heads, scale 1/sqrt(head size), no causal mask: position i
//   attends to every position j that is not padding.
// ffn(t) = fc2(relu(fc1(t))). LayerNorm eps 1e-5. No dropout.
// key_padding_mask (bool [batch, seq], true = padding; undefined = none): padded positions are never attended
// to. Their own outputs are computed like any other position's (they attend to the real positions) and mean
// nothing. Every sequence has at least one real position.
struct EncoderLayerImpl : torch::nn::Module {
  EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first = false);
  // x: [batch, seq, d_model] -> [batch, seq, d_model]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask = {});

  int64_t n_heads;
  bool norm_first;
  // Registered under exactly these names.
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr},
      o_proj{nullptr};                           // d_model -> d_model, with bias
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // d_model -> d_ff -> d_model, with bias
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};  // over d_model
};
TORCH_MODULE(EncoderLayer);
}  // namespace kata

#endif

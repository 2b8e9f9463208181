// Contract for the seq2seq_decoder_layer exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_SEQ2SEQ_DECODER_LAYER_H
#define KATA_SEQ2SEQ_DECODER_LAYER_H

#include <torch/torch.h>

namespace kata {
// Multi-head attention, used twice by the layer: q = q_proj(query), k = k_proj(key_value),
// v = v_proj(key_value); d_model split into n_heads contiguous heads of size d_model / n_heads; per head,
// softmax over the allowed keys of q . k / sqrt(head size); heads concatenated in order, then o_proj.
// Key j is allowed for query i when (causal is false or j <= i) and key_padding_mask[b][j] is false (when the
// mask is given; true = padding). Every query has at least one allowed key.
struct AttentionImpl : torch::nn::Module {
  AttentionImpl(int64_t d_model, int64_t n_heads);
  // query: [batch, q_len, d_model]; key_value: [batch, kv_len, d_model] -> [batch, q_len, d_model]
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                        const torch::Tensor& key_padding_mask);

  int64_t n_heads;
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};  // with bias
};
TORCH_MODULE(Attention);

// The decoder layer of an encoder-decoder Transformer, pre-LN:
//   h1  = x  + self_attn(ln1(x), ln1(x), causal = true)
//   h2  = h1 + cross_attn(ln2(h1), memory, causal = false, memory_padding_mask)
//   out = h2 + fc2(relu(fc1(ln3(h2))))
// memory is the encoder's output, used as it is (not normalised here). LayerNorm eps 1e-5. No dropout.
struct DecoderLayerImpl : torch::nn::Module {
  DecoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff);
  // x: [batch, tgt_len, d_model]; memory: [batch, src_len, d_model];
  // memory_padding_mask: bool [batch, src_len], true = padding; undefined = none
  // returns [batch, tgt_len, d_model]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory,
                        const torch::Tensor& memory_padding_mask = {});

  // Registered under exactly these names (so the parameters are self_attn.q_proj.weight, ..., ln3.bias).
  Attention self_attn{nullptr}, cross_attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // d_model -> d_ff -> d_model, with bias
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr}, ln3{nullptr};  // over d_model
};
TORCH_MODULE(DecoderLayer);
}  // namespace kata

#endif

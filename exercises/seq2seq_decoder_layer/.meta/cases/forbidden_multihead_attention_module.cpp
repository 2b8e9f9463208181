// expect: forbidden_call
// why: the layer's structure is right, but the attention is LibTorch's nn::MultiheadAttention built on the fly from the contract's weights: the values can be made right, yet the attention is the exercise, so the judge rejects the module by its symbols
#include "seq2seq_decoder_layer.h"

namespace kata {

AttentionImpl::AttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value, bool causal,
                                     const torch::Tensor& key_padding_mask) {
  const int64_t Tq = query.size(1), Tk = key_value.size(1);
  torch::nn::MultiheadAttention mha(torch::nn::MultiheadAttentionOptions(query.size(2), n_heads));
  mha->to(query.scalar_type());
  {
    torch::NoGradGuard no_grad;
    mha->in_proj_weight.copy_(torch::cat({q_proj->weight, k_proj->weight, v_proj->weight}));
    mha->in_proj_bias.copy_(torch::cat({q_proj->bias, k_proj->bias, v_proj->bias}));
    mha->out_proj->weight.copy_(o_proj->weight);
    mha->out_proj->bias.copy_(o_proj->bias);
  }
  torch::Tensor mask;  // nn::MultiheadAttention: true = hidden
  if (causal) mask = torch::ones({Tq, Tk}, query.options().dtype(torch::kBool)).triu(1);
  auto kv = key_value.transpose(0, 1);
  return std::get<0>(mha(query.transpose(0, 1), kv, kv, key_padding_mask, false, mask)).transpose(0, 1);
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
  return h + fc2(torch::relu(fc1(ln3(h))));
}

}  // namespace kata

// expect: forbidden_call
// why: LibTorch's own TransformerEncoderLayer holds the layer, and forward copies the contract's weights into it: the values could be made right, but the layer is the exercise, so the judge rejects the module by its symbols
#include "encoder_layer.h"

namespace kata {

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first)
    : n_heads(n_heads), norm_first(norm_first) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  torch::nn::TransformerEncoderLayer layer(
      torch::nn::TransformerEncoderLayerOptions(x.size(2), n_heads).dim_feedforward(fc1->weight.size(0)).dropout(0.0));
  layer->to(x.scalar_type());
  {
    torch::NoGradGuard no_grad;
    auto p = layer->named_parameters();
    p["self_attn.in_proj_weight"].copy_(torch::cat({q_proj->weight, k_proj->weight, v_proj->weight}));
    p["self_attn.in_proj_bias"].copy_(torch::cat({q_proj->bias, k_proj->bias, v_proj->bias}));
    p["self_attn.out_proj.weight"].copy_(o_proj->weight);
    p["self_attn.out_proj.bias"].copy_(o_proj->bias);
  }
  return layer->forward(x.transpose(0, 1), {}, key_padding_mask).transpose(0, 1);
}

}  // namespace kata

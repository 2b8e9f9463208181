// expect: forbidden_call
// why: the four projections are the contract's, but LibTorch's functional multi-head attention (the one nn.MultiheadAttention runs) does the split, the masks, the softmax and the merge in one call: the values can be made right, yet the attention is the exercise, so the judge rejects the call by its symbol
#include "buggy_attention.h"

namespace kata {

namespace F = torch::nn::functional;

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  auto in_weight = torch::cat({q_proj->weight, k_proj->weight, v_proj->weight});
  auto in_bias = torch::cat({q_proj->bias, k_proj->bias, v_proj->bias});
  // nn.MultiheadAttention works on [T, B, C] and takes boolean masks as true = hidden.
  auto options = F::MultiheadAttentionForwardFuncOptions(query.size(2), n_heads, in_weight, in_bias, {}, {}, false,
                                                        0.0, o_proj->weight, o_proj->bias)
                     .need_weights(false);
  if (attn_mask.defined()) options.attn_mask(attn_mask.logical_not());
  if (key_padding_mask.defined()) options.key_padding_mask(key_padding_mask);
  return std::get<0>(F::multi_head_attention_forward(query.transpose(0, 1), key_value.transpose(0, 1),
                                                     key_value.transpose(0, 1), options))
      .transpose(0, 1);
}

}  // namespace kata

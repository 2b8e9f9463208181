// expect: accepted
// why: the colleague's module rewritten: the masks become one additive bias (0 where allowed, -1e9 where hidden) of shape [B, 1, q_len, kv_len] added to the scores, einsum does both products and keeps the heads next to the positions, so the merge is a plain reshape
#include "buggy_attention.h"

#include <cmath>

namespace kata {

namespace F = torch::nn::functional;

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(true)));
  k_proj = register_module("k_proj", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(true)));
  v_proj = register_module("v_proj", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(true)));
  o_proj = register_module("o_proj", torch::nn::Linear(torch::nn::LinearOptions(d_model, d_model).bias(true)));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2);
  const int64_t hs = C / n_heads;
  auto heads = [&](torch::nn::Linear& proj, const torch::Tensor& x) {
    return F::linear(x, proj->weight, proj->bias).contiguous().view({B, x.size(1), n_heads, hs});
  };
  auto q = heads(q_proj, query), k = heads(k_proj, key_value), v = heads(v_proj, key_value);  // [B, T, nh, hs]
  auto bias = torch::zeros({B, 1, Tq, Tk}, query.options());
  if (attn_mask.defined()) bias = bias.masked_fill(attn_mask.logical_not(), -1e9);
  if (key_padding_mask.defined()) bias = bias.masked_fill(key_padding_mask.view({B, 1, 1, Tk}), -1e9);
  auto scores = torch::einsum("bqhd,bkhd->bhqk", {q, k}) / std::sqrt(static_cast<double>(hs)) + bias;
  auto y = torch::einsum("bhqk,bkhd->bqhd", {scores.softmax(-1), v});  // [B, Tq, nh, hs]
  return o_proj(y.reshape({B, Tq, C}));
}

}  // namespace kata

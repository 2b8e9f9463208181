#include "buggy_attention.h"

#include <cmath>
#include <limits>

namespace kata {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1), C = query.size(2);
  const int64_t hs = C / n_heads;

  // Heads are contiguous slices of the channels: (B, T, C) -> (B, nh, T, hs).
  auto split_heads = [&](const torch::Tensor& t) { return t.reshape({B, t.size(1), n_heads, hs}).transpose(1, 2); };
  auto q = split_heads(q_proj(query));      // (B, nh, Tq, hs)
  auto k = split_heads(k_proj(key_value));  // (B, nh, Tk, hs)
  auto v = split_heads(v_proj(key_value));  // (B, nh, Tk, hs)

  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, Tq, Tk)
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (attn_mask.defined()) scores = scores.masked_fill(attn_mask.logical_not(), neg_inf);  // (Tq, Tk) over all
  if (key_padding_mask.defined())
    scores = scores.masked_fill(key_padding_mask.reshape({B, 1, 1, Tk}), neg_inf);  // a padded key, for every query
  auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, Tq, hs)
  y = y.transpose(1, 2).reshape({B, Tq, C});                      // re-assemble the heads side by side
  return o_proj(y);
}

}  // namespace kata

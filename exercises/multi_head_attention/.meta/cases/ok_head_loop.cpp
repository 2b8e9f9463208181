// expect: accepted
// why: one head at a time: head h is the channel slice narrow(-1, h * head_size, head_size) of each projection; both masks are combined into one boolean "allowed" [B, q_len, kv_len] and the hidden scores get the lowest finite value; the heads are joined with torch::cat along the channels in order
#include "multi_head_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& key_value,
                                              const torch::Tensor& attn_mask, const torch::Tensor& key_padding_mask) {
  const int64_t B = query.size(0), Tq = query.size(1), Tk = key_value.size(1);
  const int64_t head_size = query.size(2) / n_heads;
  auto allowed = torch::ones({B, Tq, Tk}, query.options().dtype(torch::kBool));
  if (attn_mask.defined()) allowed = allowed & attn_mask.unsqueeze(0);
  if (key_padding_mask.defined()) allowed = allowed & key_padding_mask.logical_not().unsqueeze(1);
  const double lowest = query.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                                 : std::numeric_limits<float>::lowest();
  auto q = q_proj(query), k = k_proj(key_value), v = v_proj(key_value);
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < n_heads; ++h) {
    auto qh = q.narrow(-1, h * head_size, head_size);  // [B, Tq, hs]
    auto kh = k.narrow(-1, h * head_size, head_size);  // [B, Tk, hs]
    auto vh = v.narrow(-1, h * head_size, head_size);
    auto scores = torch::bmm(qh, kh.transpose(1, 2)) / std::sqrt(static_cast<double>(head_size));
    scores = scores.masked_fill(allowed.logical_not(), lowest);
    heads.push_back(torch::bmm(torch::softmax(scores, -1), vh));
  }
  return o_proj(torch::cat(heads, -1));
}

}  // namespace kata

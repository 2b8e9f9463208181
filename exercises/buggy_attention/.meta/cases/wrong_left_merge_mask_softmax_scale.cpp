// expect: wrong_answer BuggyAttention.HeadMerge
// mistake: the colleague's module as given, all four bugs left: the head merge, the per-head copy of the mask, the softmax axis, the scale
// why: nothing is fixed yet; the four checks after ParametersMatchContract (HeadMerge, ScaleByHeadSize, SoftmaxOverKeys, MaskOfEachSequence) each show one of the bugs alone, so fix them one at a time and judge again: a partial fix is named with the bugs it has left
// The stub unchanged, so that the judge names the stub as it is: bugs 1, 2, 3, 4 left (1 merge, 2 mask, 3 softmax axis, 4 scale).
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
  const int64_t head_size = C / n_heads;

  // (B, T, C) -> (B, n_heads, T, head_size)
  auto q = q_proj(query).view({B, Tq, n_heads, head_size}).transpose(1, 2);
  auto k = k_proj(key_value).view({B, Tk, n_heads, head_size}).transpose(1, 2);
  auto v = v_proj(key_value).view({B, Tk, n_heads, head_size}).transpose(1, 2);

  // Scaled dot products, (B, n_heads, Tq, Tk).
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(C));

  // One [Tq, Tk] mask per sequence (true = hidden): the attention mask and the padded keys together, then one
  // copy per head, as nn.MultiheadAttention takes its [B * n_heads, Tq, Tk] masks.
  if (attn_mask.defined() || key_padding_mask.defined()) {
    auto hidden = torch::zeros({B, Tq, Tk}, query.options().dtype(torch::kBool));
    if (attn_mask.defined()) hidden = hidden | attn_mask.logical_not();                   // (Tq, Tk), every sequence
    if (key_padding_mask.defined()) hidden = hidden | key_padding_mask.unsqueeze(1);      // (B, 1, Tk), every query
    hidden = hidden.repeat({n_heads, 1, 1}).view({B, n_heads, Tq, Tk});
    scores = scores.masked_fill(hidden, -std::numeric_limits<double>::infinity());
  }

  auto weights = torch::softmax(scores, /*dim=*/-2);  // attention weights, (B, n_heads, Tq, Tk)
  auto y = torch::matmul(weights, v);                 // (B, n_heads, Tq, head_size)
  y = y.reshape({B, Tq, C});                          // the heads side by side again
  return o_proj(y);
}

}  // namespace kata

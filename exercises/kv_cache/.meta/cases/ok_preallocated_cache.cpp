// expect: accepted
// why: LLaMA's layout: the cache is [batch, positions, n_heads, head_size], grown by doubling and written with index_put_ at start_pos; attention reads the first start_pos + T_new positions, with this call's keys spliced in so gradients reach them; the mask compares absolute positions (key position <= query position)
#include "kv_cache.h"

#include <cmath>
#include <limits>

namespace kata {

using torch::indexing::Slice;

CachedAttentionImpl::CachedAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor CachedAttentionImpl::forward(const torch::Tensor& x, int64_t start_pos) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_heads, end = start_pos + T;
  auto q = q_proj(x).view({B, T, n_heads, hs});
  auto k = k_proj(x).view({B, T, n_heads, hs});
  auto v = v_proj(x).view({B, T, n_heads, hs});
  if (start_pos == 0 || !k_cache.defined() || k_cache.size(0) != B || k_cache.scalar_type() != k.scalar_type()) {
    k_cache = torch::zeros({B, std::max<int64_t>(end, 8), n_heads, hs}, k.options().requires_grad(false));
    v_cache = torch::zeros_like(k_cache);
  } else if (k_cache.size(1) < end) {
    auto grown = torch::zeros({B, 2 * end, n_heads, hs}, k_cache.options());
    k_cache = grown.index_put_({Slice(), Slice(0, k_cache.size(1))}, k_cache);
    v_cache = torch::zeros_like(grown).index_put_({Slice(), Slice(0, v_cache.size(1))}, v_cache);
  }
  k_cache.index_put_({Slice(), Slice(start_pos, end)}, k.detach());
  v_cache.index_put_({Slice(), Slice(start_pos, end)}, v.detach());
  auto keys = torch::cat({k_cache.index({Slice(), Slice(0, start_pos)}), k}, 1);  // [B, end, nh, hs]
  auto values = torch::cat({v_cache.index({Slice(), Slice(0, start_pos)}), v}, 1);

  auto scores = torch::einsum("bthd,bshd->bhts", {q, keys}) / std::sqrt(static_cast<double>(hs));
  auto query_pos = torch::arange(start_pos, end).unsqueeze(1), key_pos = torch::arange(end).unsqueeze(0);
  scores = scores.masked_fill(key_pos > query_pos, -std::numeric_limits<double>::infinity());
  auto y = torch::einsum("bhts,bshd->bthd", {torch::softmax(scores, -1), values});
  return o_proj(y.reshape({B, T, C}));
}

}  // namespace kata

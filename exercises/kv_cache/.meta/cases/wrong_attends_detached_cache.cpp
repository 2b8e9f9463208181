// expect: wrong_answer KvCache.Gradients
// mistake: attention over the detached cache (no gradient to this call's keys and values)
// why: the new keys are detached into the cache first and attention then reads the cache, so no gradient reaches k_proj and v_proj; attend over cat(cache, k) and store its detached copy
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
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_heads;
  auto split_heads = [&](const torch::Tensor& t) { return t.reshape({B, T, n_heads, hs}).transpose(1, 2); };
  auto q = split_heads(q_proj(x));  // (B, nh, T, hs)
  auto k = split_heads(k_proj(x));
  auto v = split_heads(v_proj(x));

  // Keep positions 0 .. start_pos-1, then this call's keys and values; the cache itself is detached.
  if (start_pos > 0) {
    k = torch::cat({k_cache.index({Slice(), Slice(), Slice(0, start_pos)}), k}, /*dim=*/2);  // (B, nh, S, hs)
    v = torch::cat({v_cache.index({Slice(), Slice(), Slice(0, start_pos)}), v}, /*dim=*/2);
  }
  k_cache = k.detach();
  v_cache = v.detach();
  k = k_cache;
  v = v_cache;
  const int64_t S = start_pos + T;  // positions attended to

  // Query t sits at position start_pos + t and may see keys 0 .. start_pos + t.
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, T, S)
  auto future = torch::ones({T, S}, x.options().dtype(torch::kBool)).triu(/*diagonal=*/start_pos + 1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, T, hs)
  return o_proj(y.transpose(1, 2).reshape({B, T, C}));
}

}  // namespace kata

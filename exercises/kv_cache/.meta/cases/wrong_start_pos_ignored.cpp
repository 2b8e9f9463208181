// expect: wrong_answer KvCache.StartOverAtZero
// mistake: start_pos ignored (always appended to the whole cache)
// why: appending after everything cached works only while start_pos equals the cached length; start_pos = 0 must start over and a smaller start_pos must drop the positions after it, so keep cache[:, :, :start_pos] before appending
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
  const int64_t cached = k_cache.defined() ? k_cache.size(2) : 0;
  if (cached > 0) {
    k = torch::cat({k_cache, k}, /*dim=*/2);
    v = torch::cat({v_cache, v}, /*dim=*/2);
  }
  k_cache = k.detach();
  v_cache = v.detach();
  const int64_t S = cached + T;

  // Query t sits at position start_pos + t and may see keys 0 .. start_pos + t.
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, T, S)
  auto future = torch::ones({T, S}, x.options().dtype(torch::kBool)).triu(/*diagonal=*/cached + 1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, T, hs)
  return o_proj(y.transpose(1, 2).reshape({B, T, C}));
}

}  // namespace kata

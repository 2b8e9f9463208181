// expect: accepted
// why: the new tokens are handled one at a time, each appended to the cache and then attending to all of it without any mask (a single query at the newest position may see every cached key); the heads as a batch of bmm; the cache truncated with narrow at start_pos
#include "kv_cache.h"

#include <cmath>
#include <vector>

namespace kata {

CachedAttentionImpl::CachedAttentionImpl(int64_t d_model, int64_t n_heads) : n_heads(n_heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
}

torch::Tensor CachedAttentionImpl::forward(const torch::Tensor& x, int64_t start_pos) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = n_heads, hs = C / H;
  auto heads = [&](const torch::Tensor& t) { return t.reshape({B, T, H, hs}).permute({0, 2, 1, 3}).reshape({B * H, T, hs}); };
  auto q = heads(q_proj(x)), k = heads(k_proj(x)), v = heads(v_proj(x));  // [B*H, T, hs]
  torch::Tensor keys, values;  // this call's view of the cache, with gradients to its own tokens
  if (start_pos > 0) {
    keys = k_cache.narrow(1, 0, start_pos);
    values = v_cache.narrow(1, 0, start_pos);
  }
  std::vector<torch::Tensor> outputs;
  for (int64_t t = 0; t < T; ++t) {
    auto kt = k.narrow(1, t, 1), vt = v.narrow(1, t, 1);
    keys = keys.defined() ? torch::cat({keys, kt}, 1) : kt;
    values = values.defined() ? torch::cat({values, vt}, 1) : vt;
    auto w = torch::softmax(torch::bmm(q.narrow(1, t, 1), keys.transpose(1, 2)) / std::sqrt(double(hs)), -1);
    outputs.push_back(torch::bmm(w, values));  // [B*H, 1, hs]
  }
  k_cache = keys.detach();
  v_cache = values.detach();
  auto y = torch::cat(outputs, 1).reshape({B, H, T, hs}).permute({0, 2, 1, 3}).reshape({B, T, C});
  return o_proj(y);
}

}  // namespace kata

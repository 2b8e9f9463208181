// expect: accepted
// why: one head at a time with narrow() on the channel axis, heads concatenated with cat; no 4-D tensors
#include "decoder_block.h"

#include <cmath>

namespace kata {

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)));
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  const int64_t T = x.size(1), hs = x.size(2) / n_heads;
  auto a = ln1(x);
  auto q = q_proj(a), k = k_proj(a), v = v_proj(a);  // (B, T, C)
  auto allowed = torch::tril(torch::ones({T, T}, x.options()));
  std::vector<torch::Tensor> heads;
  for (int64_t i = 0; i < n_heads; ++i) {
    auto qi = q.narrow(2, i * hs, hs), ki = k.narrow(2, i * hs, hs), vi = v.narrow(2, i * hs, hs);  // (B, T, hs)
    auto scores = torch::bmm(qi, ki.transpose(1, 2)) / std::sqrt((double)hs);
    scores = scores.masked_fill(allowed == 0, -INFINITY);
    heads.push_back(torch::bmm(scores.softmax(-1), vi));
  }
  auto h = x + o_proj(torch::cat(heads, 2));
  return h + fc2(torch::gelu(fc1(ln2(h))));
}

}  // namespace kata

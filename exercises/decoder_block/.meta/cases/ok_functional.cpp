// expect: accepted
// why: functional layer_norm / linear with the registered modules' tensors, manual stable softmax, erf GELU by hand
#include "decoder_block.h"

#include <cmath>

namespace kata {

namespace F = torch::nn::functional;

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  ln1 = torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}));
  ln2 = torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}));
  q_proj = torch::nn::Linear(d_model, d_model);
  k_proj = torch::nn::Linear(d_model, d_model);
  v_proj = torch::nn::Linear(d_model, d_model);
  o_proj = torch::nn::Linear(d_model, d_model);
  fc1 = torch::nn::Linear(d_model, d_ff);
  fc2 = torch::nn::Linear(d_ff, d_model);
  register_module("ln1", ln1);
  register_module("ln2", ln2);
  register_module("q_proj", q_proj);
  register_module("k_proj", k_proj);
  register_module("v_proj", v_proj);
  register_module("o_proj", o_proj);
  register_module("fc1", fc1);
  register_module("fc2", fc2);
}

static torch::Tensor norm(const torch::nn::LayerNorm& ln, const torch::Tensor& x) {
  return torch::layer_norm(x, {x.size(-1)}, ln->weight, ln->bias, 1e-5);
}

static torch::Tensor gelu_erf(const torch::Tensor& x) { return 0.5 * x * (1 + torch::erf(x / std::sqrt(2.0))); }

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), d = C / n_heads;
  auto a = norm(ln1, x).reshape({B * T, C});
  auto split = [&](const torch::nn::Linear& p) {
    return F::linear(a, p->weight, p->bias).reshape({B, T, n_heads, d}).permute({0, 2, 1, 3});
  };
  auto q = split(q_proj), k = split(k_proj), v = split(v_proj);
  auto s = q.matmul(k.transpose(2, 3)) / std::sqrt(double(d));
  s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -1e30);
  auto e = (s - std::get<0>(s.max(-1, true))).exp();
  auto y = (e / e.sum(-1, true)).matmul(v).permute({0, 2, 1, 3}).reshape({B, T, C});
  auto h = x + o_proj(y);
  return h + fc2(gelu_erf(fc1(norm(ln2, h))));
}

}  // namespace kata

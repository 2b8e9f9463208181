// expect: wrong_answer DecoderBlock.MlpBranch
// mistake: ReLU instead of GELU
// why: ReLU in the MLP instead of GELU
#include "decoder_block.h"

#include <cmath>
#include <limits>

namespace kata {

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
}

static torch::Tensor causal_attention(DecoderBlockImpl& m, const torch::Tensor& h) {
  const int64_t B = h.size(0), T = h.size(1), C = h.size(2), hs = C / m.n_heads;
  auto q = m.q_proj(h).view({B, T, m.n_heads, hs}).transpose(1, 2);
  auto k = m.k_proj(h).view({B, T, m.n_heads, hs}).transpose(1, 2);
  auto v = m.v_proj(h).view({B, T, m.n_heads, hs}).transpose(1, 2);
  auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hs));
  auto mask = torch::ones({T, T}, h.options().dtype(torch::kBool)).triu(1);
  att = torch::softmax(att.masked_fill(mask, -std::numeric_limits<double>::infinity()), -1);
  return m.o_proj(torch::matmul(att, v).transpose(1, 2).reshape({B, T, C}));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  auto h = x + causal_attention(*this, ln1(x));
  return h + fc2(torch::relu(fc1(ln2(h))));
}

}  // namespace kata

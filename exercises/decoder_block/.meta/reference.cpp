#include "decoder_block.h"

#include <cmath>
#include <limits>

namespace kata {

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  auto layer_norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)); };
  ln1 = register_module("ln1", layer_norm());
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  ln2 = register_module("ln2", layer_norm());
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_heads;

  // Causal self-attention on the normalized input; heads are contiguous slices of the channels.
  auto h = ln1(x);
  auto split_heads = [&](const torch::Tensor& t) { return t.view({B, T, n_heads, hs}).transpose(1, 2); };
  auto q = split_heads(q_proj(h));  // (B, nh, T, hs)
  auto k = split_heads(k_proj(h));
  auto v = split_heads(v_proj(h));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, T, T)
  auto future = torch::ones({T, T}, x.options().dtype(torch::kBool)).triu(/*diagonal=*/1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto y = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);  // (B, nh, T, hs)
  y = y.transpose(1, 2).reshape({B, T, C});                       // re-assemble the heads side by side
  auto residual = x + o_proj(y);

  // Position-wise MLP with exact (erf) GELU.
  return residual + fc2(torch::gelu(fc1(ln2(residual))));
}

}  // namespace kata

// expect: accepted
// why: LayerNorm written out with the registered weights (biased variance, eps inside the sqrt), attention with einsum over [B, T, heads, head_size] and a softmax by hand that subtracts the row max, padded keys set to the lowest finite value; post-LN and pre-LN as two explicit branches
#include "encoder_layer.h"

#include <cmath>
#include <limits>

namespace kata {

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first)
    : n_heads(n_heads), norm_first(norm_first) {
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model}).eps(1e-5)));
}

namespace {
torch::Tensor normalise(const torch::Tensor& t, const torch::nn::LayerNorm& ln) {
  auto mean = t.mean(-1, /*keepdim=*/true);
  auto var = (t - mean).pow(2).mean(-1, /*keepdim=*/true);
  return (t - mean) / torch::sqrt(var + 1e-5) * ln->weight + ln->bias;
}
}  // namespace

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_heads;
  const double lowest = x.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                             : std::numeric_limits<float>::lowest();
  auto attend = [&](const torch::Tensor& t) {
    auto q = q_proj(t).reshape({B, T, n_heads, hs}), k = k_proj(t).reshape({B, T, n_heads, hs});
    auto v = v_proj(t).reshape({B, T, n_heads, hs});
    auto s = torch::einsum("bihd,bjhd->bhij", {q, k}) / std::sqrt(static_cast<double>(hs));
    if (key_padding_mask.defined()) s = s.masked_fill(key_padding_mask.unsqueeze(1).unsqueeze(1), lowest);
    auto e = (s - std::get<0>(s.max(-1, /*keepdim=*/true))).exp();
    auto y = torch::einsum("bhij,bjhd->bihd", {e / e.sum(-1, /*keepdim=*/true), v});
    return o_proj(y.reshape({B, T, C}));
  };
  auto ffn = [&](const torch::Tensor& t) { return fc2(torch::relu(fc1(t))); };
  if (!norm_first) {
    auto h = normalise(x + attend(x), ln1);
    return normalise(h + ffn(h), ln2);
  }
  auto h = x + attend(normalise(x, ln1));
  return h + ffn(normalise(h, ln2));
}

}  // namespace kata

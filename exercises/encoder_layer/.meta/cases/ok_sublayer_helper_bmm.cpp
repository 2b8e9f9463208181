// expect: accepted
// why: the two orders written as one helper, sublayer(t, f, ln) = norm_first ? t + f(ln(t)) : ln(t + f(t)); attention folds the heads into the batch for bmm and hides padding with an additive -1e9 bias (exactly 0 after the softmax in float32 and float64)
#include "encoder_layer.h"

#include <cmath>
#include <functional>

namespace kata {

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first)
    : n_heads(n_heads), norm_first(norm_first) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  q_proj = register_module("q_proj", torch::nn::Linear(d_model, d_model));
  k_proj = register_module("k_proj", torch::nn::Linear(d_model, d_model));
  v_proj = register_module("v_proj", torch::nn::Linear(d_model, d_model));
  o_proj = register_module("o_proj", torch::nn::Linear(d_model, d_model));
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_ff));
  fc2 = register_module("fc2", torch::nn::Linear(d_ff, d_model));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = n_heads, hs = C / H;
  auto bias = torch::zeros({B, 1, 1, T}, x.options());
  if (key_padding_mask.defined()) bias = bias.masked_fill(key_padding_mask.reshape({B, 1, 1, T}), -1e9);
  bias = bias.expand({B, H, T, T}).reshape({B * H, T, T});

  auto fold = [&](const torch::Tensor& t) { return t.reshape({B, T, H, hs}).permute({0, 2, 1, 3}).reshape({B * H, T, hs}); };
  std::function<torch::Tensor(const torch::Tensor&)> attention = [&](const torch::Tensor& t) {
    auto q = fold(q_proj(t)), k = fold(k_proj(t)), v = fold(v_proj(t));
    auto w = torch::softmax(torch::baddbmm(bias, q, k.transpose(1, 2), 1.0, 1.0 / std::sqrt(double(hs))), -1);
    return o_proj(torch::bmm(w, v).reshape({B, H, T, hs}).permute({0, 2, 1, 3}).reshape({B, T, C}));
  };
  std::function<torch::Tensor(const torch::Tensor&)> feed_forward = [&](const torch::Tensor& t) {
    return fc2(fc1(t).clamp_min(0));
  };
  auto sublayer = [&](const torch::Tensor& t, const std::function<torch::Tensor(const torch::Tensor&)>& f,
                      torch::nn::LayerNorm& ln) { return norm_first ? t + f(ln(t)) : ln(t + f(t)); };
  return sublayer(sublayer(x, attention, ln1), feed_forward, ln2);
}

}  // namespace kata

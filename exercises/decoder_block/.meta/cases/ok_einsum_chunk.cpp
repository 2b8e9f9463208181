// expect: accepted
// why: einsum for the attention products, heads via unflatten of each projection, additive -inf mask tensor
#include "decoder_block.h"

#include <cmath>
#include <limits>

namespace kata {

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  using namespace torch::nn;
  ln1 = register_module("ln1", LayerNorm(LayerNormOptions({d_model}).eps(1e-5)));
  q_proj = register_module("q_proj", Linear(LinearOptions(d_model, d_model).bias(true)));
  k_proj = register_module("k_proj", Linear(LinearOptions(d_model, d_model).bias(true)));
  v_proj = register_module("v_proj", Linear(LinearOptions(d_model, d_model).bias(true)));
  o_proj = register_module("o_proj", Linear(LinearOptions(d_model, d_model).bias(true)));
  ln2 = register_module("ln2", LayerNorm(LayerNormOptions({d_model}).eps(1e-5)));
  fc1 = register_module("fc1", Linear(d_model, d_ff));
  fc2 = register_module("fc2", Linear(d_ff, d_model));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  const int64_t T = x.size(1), C = x.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(C / n_heads));
  auto h = ln1(x);
  auto heads = [&](torch::Tensor t) { return t.unflatten(-1, {n_heads, C / n_heads}); };  // (B, T, nh, hs)
  auto q = heads(q_proj(h)), k = heads(k_proj(h)), v = heads(v_proj(h));
  auto bias = torch::full({T, T}, -std::numeric_limits<double>::infinity(), x.options()).triu(1);  // 0 on/below diag
  auto scores = torch::einsum("bqhd,bkhd->bhqk", {q, k}) * scale + bias;
  auto y = torch::einsum("bhqk,bkhd->bqhd", {scores.softmax(-1), v}).flatten(2);  // (B, T, C)
  auto r = x + o_proj(y);
  return r + fc2(torch::gelu(fc1(ln2(r))));
}

}  // namespace kata

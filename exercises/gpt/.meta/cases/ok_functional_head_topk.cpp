// expect: accepted
// why: the block as a plain function over a registered module, attention with baddbmm and the heads folded into the batch, the tied head through torch::nn::functional::linear(x, wte->weight), generation cropped with index(Slice(-block_size)) and the next token from topk(1)
#include "gpt.h"

#include <cmath>

namespace kata {

using torch::indexing::Slice;
namespace F = torch::nn::functional;

namespace {
struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t n_embd, int64_t n_head) : n_head(n_head) {
    ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd})));
    q_proj = register_module("q_proj", torch::nn::Linear(n_embd, n_embd));
    k_proj = register_module("k_proj", torch::nn::Linear(n_embd, n_embd));
    v_proj = register_module("v_proj", torch::nn::Linear(n_embd, n_embd));
    o_proj = register_module("o_proj", torch::nn::Linear(n_embd, n_embd));
    ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd})));
    fc1 = register_module("fc1", torch::nn::Linear(n_embd, 4 * n_embd));
    fc2 = register_module("fc2", torch::nn::Linear(4 * n_embd, n_embd));
  }
  int64_t n_head;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr}, fc1{nullptr}, fc2{nullptr};
};

torch::Tensor run_block(BlockImpl& b, const torch::Tensor& x) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = b.n_head, hs = C / H;
  auto fold = [&](const torch::Tensor& t) { return t.reshape({B, T, H, hs}).transpose(1, 2).reshape({B * H, T, hs}); };
  auto h = b.ln1(x);
  auto q = fold(b.q_proj(h)), k = fold(b.k_proj(h)), v = fold(b.v_proj(h));
  auto bias = torch::zeros({T, T}, x.options()).masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -1e9);
  auto att = torch::baddbmm(bias.expand({B * H, T, T}), q, k.transpose(1, 2), 1.0, 1.0 / std::sqrt(double(hs)));
  auto y = torch::bmm(att.softmax(-1), v).reshape({B, H, T, hs}).transpose(1, 2).reshape({B, T, C});
  auto r = x + b.o_proj(y);
  return r + b.fc2(F::gelu(b.fc1(b.ln2(r))));
}
}  // namespace

GPTImpl::GPTImpl(int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd)
    : block_size(block_size) {
  wte = register_module("wte", torch::nn::Embedding(vocab_size, n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(block_size, n_embd));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n_layer; ++i) blocks->push_back(std::make_shared<BlockImpl>(n_embd, n_head));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd})));
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  auto x = F::embedding(idx, wte->weight) + F::embedding(torch::arange(idx.size(1), idx.options()), wpe->weight);
  for (size_t i = 0; i < blocks->size(); ++i) x = run_block(*blocks->ptr<BlockImpl>(i), x);
  return F::linear(ln_f(x), wte->weight);
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  auto logp = torch::log_softmax(forward(idx), -1);  // [B, T, V]
  return -logp.gather(-1, targets.unsqueeze(-1)).mean();
}

torch::Tensor GPTImpl::generate(const torch::Tensor& idx, int64_t max_new_tokens) {
  torch::NoGradGuard no_grad;
  auto out = idx.clone();
  while (max_new_tokens-- > 0) {
    auto context = out.index({Slice(), Slice(-std::min(block_size, out.size(1)), torch::indexing::None)});
    auto last = forward(context).index({Slice(), -1});  // [B, V]
    out = torch::cat({out, std::get<1>(last.topk(1, -1))}, 1);
  }
  return out;
}

}  // namespace kata

// expect: wrong_answer GPT.ParametersMatchContract
// why: a separate lm_head Linear is a second vocab_size x n_embd matrix that the contract (and GPT-2) does not have: the head is tied, so the logits use wte->weight itself; nanoGPT's "wte.weight = lm_head.weight" would register the one tensor under two names, here just use wte->weight
#include "gpt.h"

#include <cmath>
#include <limits>

namespace kata {

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
  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_head;
    auto h = ln1(x);
    auto q = q_proj(h).view({B, T, n_head, hs}).transpose(1, 2);
    auto k = k_proj(h).view({B, T, n_head, hs}).transpose(1, 2);
    auto v = v_proj(h).view({B, T, n_head, hs}).transpose(1, 2);
    auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hs));
    att = att.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
    auto y = x + o_proj(torch::matmul(att.softmax(-1), v).transpose(1, 2).reshape({B, T, C}));
    return y + fc2(torch::gelu(fc1(ln2(y))));
  }
  int64_t n_head;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr}, fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Block);

torch::nn::Linear lm_head{nullptr};
}  // namespace

GPTImpl::GPTImpl(int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd)
    : block_size(block_size) {
  wte = register_module("wte", torch::nn::Embedding(vocab_size, n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(block_size, n_embd));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n_layer; ++i) blocks->push_back(Block(n_embd, n_head));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd})));
  lm_head = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(n_embd, vocab_size).bias(false)));
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  auto x = wte(idx) + wpe(torch::arange(idx.size(1), idx.options()));
  for (const auto& block : *blocks) x = block->as<BlockImpl>()->forward(x);
  return lm_head(ln_f(x));
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  auto logits = forward(idx);
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

torch::Tensor GPTImpl::generate(const torch::Tensor& idx, int64_t max_new_tokens) {
  auto out = idx;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    auto context = out.size(1) > block_size ? out.narrow(1, out.size(1) - block_size, block_size) : out;
    out = torch::cat({out, forward(context).select(1, -1).argmax(-1, true)}, 1);
  }
  return out;
}

}  // namespace kata

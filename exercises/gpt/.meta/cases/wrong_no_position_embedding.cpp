// expect: wrong_answer GPT.LogitsFloat64
// mistake: position embeddings not added
// why: attention is permutation-invariant, so without wpe the model cannot tell where a token is (only the causal mask hints at it); x = wte(idx) + wpe(arange(T))
#include "gpt.h"

#include <cmath>
#include <limits>

namespace kata {

namespace {

// One pre-LN decoder block: causal multi-head self-attention, then the MLP, each behind a LayerNorm and a residual.
struct BlockImpl : torch::nn::Module {
  BlockImpl(int64_t n_embd, int64_t n_head) : n_head(n_head) {
    auto layer_norm = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd}).eps(1e-5)); };
    ln1 = register_module("ln1", layer_norm());
    q_proj = register_module("q_proj", torch::nn::Linear(n_embd, n_embd));
    k_proj = register_module("k_proj", torch::nn::Linear(n_embd, n_embd));
    v_proj = register_module("v_proj", torch::nn::Linear(n_embd, n_embd));
    o_proj = register_module("o_proj", torch::nn::Linear(n_embd, n_embd));
    ln2 = register_module("ln2", layer_norm());
    fc1 = register_module("fc1", torch::nn::Linear(n_embd, 4 * n_embd));
    fc2 = register_module("fc2", torch::nn::Linear(4 * n_embd, n_embd));
  }

  torch::Tensor attention(const torch::Tensor& x) {
    const int64_t B = x.size(0), T = x.size(1), C = x.size(2), hs = C / n_head;
    auto split_heads = [&](const torch::Tensor& t) { return t.view({B, T, n_head, hs}).transpose(1, 2); };
    auto q = split_heads(q_proj(x));  // (B, nh, T, hs)
    auto k = split_heads(k_proj(x));
    auto v = split_heads(v_proj(x));
    auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));  // (B, nh, T, T)
    auto future = torch::ones({T, T}, x.options().dtype(torch::kBool)).triu(/*diagonal=*/1);
    att = torch::softmax(att.masked_fill(future, -std::numeric_limits<double>::infinity()), /*dim=*/-1);
    return o_proj(torch::matmul(att, v).transpose(1, 2).reshape({B, T, C}));  // re-assemble the heads
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto h = x + attention(ln1(x));
    return h + fc2(torch::gelu(fc1(ln2(h))));
  }

  int64_t n_head;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr}, fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Block);

}  // namespace

GPTImpl::GPTImpl(int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd)
    : block_size(block_size) {
  wte = register_module("wte", torch::nn::Embedding(vocab_size, n_embd));
  wpe = register_module("wpe", torch::nn::Embedding(block_size, n_embd));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < n_layer; ++i) blocks->push_back(Block(n_embd, n_head));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd}).eps(1e-5)));
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  const int64_t T = idx.size(1);
  auto pos = torch::arange(T, idx.options().dtype(torch::kLong));  // (T)
  auto x = wte(idx);                                     // (B, T, n_embd)
  for (const auto& block : *blocks) x = block->as<BlockImpl>()->forward(x);
  return torch::matmul(ln_f(x), wte->weight.t());  // (B, T, vocab_size): the head shares wte's weight
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  auto logits = forward(idx);  // (B, T, V)
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}));
}

torch::Tensor GPTImpl::generate(const torch::Tensor& idx, int64_t max_new_tokens) {
  torch::NoGradGuard no_grad;
  auto out = idx;
  for (int64_t i = 0; i < max_new_tokens; ++i) {
    auto context = out.size(1) <= block_size ? out : out.narrow(/*dim=*/1, out.size(1) - block_size, block_size);
    auto logits = forward(context).select(/*dim=*/1, -1);  // (B, V): the last position's
    auto next = logits.argmax(/*dim=*/-1, /*keepdim=*/true);  // (B, 1), the lowest id among ties
    out = torch::cat({out, next}, /*dim=*/1);
  }
  return out;
}

}  // namespace kata

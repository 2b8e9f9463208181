// expect: accepted
// why: embeddings looked up with index_select on the flattened ids, attention one head at a time on channel slices with a tril mask through torch::where, the loss written out as logsumexp minus the target logit, generation with max(-1) on a context cut with narrow
#include "gpt.h"

#include <cmath>
#include <limits>
#include <vector>

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
  torch::Tensor forward(torch::Tensor x) {
    const int64_t T = x.size(1), hs = x.size(2) / n_head;
    auto h = ln1(x);
    auto q = q_proj(h), k = k_proj(h), v = v_proj(h);
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    auto lowest = torch::full({}, -std::numeric_limits<double>::infinity(), x.options());
    std::vector<torch::Tensor> heads;
    for (int64_t i = 0; i < n_head; ++i) {
      auto qi = q.narrow(-1, i * hs, hs), ki = k.narrow(-1, i * hs, hs), vi = v.narrow(-1, i * hs, hs);
      auto s = torch::where(allowed, torch::matmul(qi, ki.transpose(1, 2)) / std::sqrt(double(hs)), lowest);
      heads.push_back(torch::matmul(torch::softmax(s, -1), vi));
    }
    x = x + o_proj(torch::cat(heads, -1));
    return x + fc2(torch::gelu(fc1(ln2(x))));
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
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({n_embd})));
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  const int64_t B = idx.size(0), T = idx.size(1), C = wte->weight.size(1);
  auto tok = wte->weight.index_select(0, idx.reshape({-1})).view({B, T, C});
  auto x = tok + wpe->weight.narrow(0, 0, T);
  for (size_t i = 0; i < blocks->size(); ++i) x = blocks->ptr<BlockImpl>(i)->forward(x);
  return torch::matmul(ln_f(x), wte->weight.t());
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  auto logits = forward(idx).flatten(0, 1);  // [B*T, V]
  auto picked = logits.gather(1, targets.reshape({-1, 1})).squeeze(1);
  return (torch::logsumexp(logits, 1) - picked).mean();
}

torch::Tensor GPTImpl::generate(const torch::Tensor& idx, int64_t max_new_tokens) {
  torch::NoGradGuard no_grad;
  auto out = idx;
  for (int64_t step = 0; step < max_new_tokens; ++step) {
    const int64_t keep = std::min(out.size(1), block_size);
    auto logits = forward(out.narrow(1, out.size(1) - keep, keep));
    out = torch::cat({out, std::get<1>(logits.select(1, logits.size(1) - 1).max(-1, true))}, 1);
  }
  return out;
}

}  // namespace kata

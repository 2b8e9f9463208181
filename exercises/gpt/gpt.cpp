// Your solution: implement kata::GPT as README.md and gpt.h describe.
// Judge it with: ./kata judge gpt
#include "gpt.h"

namespace kata {

// TODO: a Block module (ln1, q_proj, k_proj, v_proj, o_proj, ln2, fc1, fc2) with a pre-LN forward

GPTImpl::GPTImpl(int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd)
    : block_size(block_size) {
  // TODO: register wte, wpe, blocks (push_back n_layer blocks), ln_f
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  // idx: (B, T) -> logits (B, T, vocab_size)
  return torch::Tensor();  // TODO: embeddings, blocks, ln_f, tied head
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  return torch::Tensor();  // TODO: mean cross-entropy over all positions
}

torch::Tensor GPTImpl::generate(const torch::Tensor& idx, int64_t max_new_tokens) {
  return idx.clone();  // TODO: greedy decoding, the context cropped to block_size
}

}  // namespace kata

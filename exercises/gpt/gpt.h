// Contract for the gpt exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_GPT_H
#define KATA_GPT_H

#include <torch/torch.h>

namespace kata {
// A small GPT in the spirit of nanoGPT:
//   x = wte(idx) + wpe(positions 0 .. T-1)                       [B, T, n_embd]
//   n_layer pre-LN decoder blocks, each (the decoder_block exercise's block, d_ff = 4 * n_embd):
//     x = x + o_proj(causal_multi_head_attention(ln1(x)))      n_head contiguous heads, scale 1/sqrt(head size)
//     x = x + fc2(gelu(fc1(ln2(x))))                           exact (erf) GELU
//   logits = ln_f(x) wte.weight^T                                [B, T, vocab_size]: the head is tied to wte
// LayerNorm eps 1e-5, no dropout, no biases missing (every Linear has one).
struct GPTImpl : torch::nn::Module {
  GPTImpl(int64_t vocab_size, int64_t block_size, int64_t n_layer, int64_t n_head, int64_t n_embd);
  // idx: [B, T] int64 token ids, 1 <= T <= block_size -> logits [B, T, vocab_size] in the parameters' dtype
  torch::Tensor forward(const torch::Tensor& idx);
  // Mean cross-entropy of forward(idx) against targets [B, T] int64 over all B * T positions: a 0-dim tensor.
  torch::Tensor loss(const torch::Tensor& idx, const torch::Tensor& targets);
  // Greedy decoding: appends max_new_tokens tokens to idx [B, T] (any T >= 1), each the argmax of the logits at
  // the last position (ties: the lowest id), computed on the last block_size tokens only (the context is
  // cropped). Returns [B, T + max_new_tokens] int64; idx itself is left unchanged.
  torch::Tensor generate(const torch::Tensor& idx, int64_t max_new_tokens);

  int64_t block_size;
  // Registered under exactly these names. Block i's parameters are blocks.i.ln1.weight, blocks.i.ln1.bias,
  // blocks.i.q_proj.weight, .bias, k_proj, v_proj, o_proj (n_embd -> n_embd), ln2, fc1 (n_embd -> 4 n_embd),
  // fc2 (4 n_embd -> n_embd): write the block as your own module and push_back one per layer. There is no
  // lm_head parameter: the logits use wte->weight.
  torch::nn::Embedding wte{nullptr};  // vocab_size x n_embd
  torch::nn::Embedding wpe{nullptr};  // block_size x n_embd
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};  // over n_embd
};
TORCH_MODULE(GPT);
}  // namespace kata

#endif

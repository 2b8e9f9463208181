// Contract for the kv_cache exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_KV_CACHE_H
#define KATA_KV_CACHE_H

#include <torch/torch.h>

namespace kata {
// Causal multi-head self-attention (the decoder block's: q_proj, k_proj, v_proj, o_proj, d_model split into
// n_heads contiguous heads, scale 1/sqrt(head size), softmax over the keys, heads merged, o_proj) that decodes
// incrementally with a KV cache, LLaMA style.
//
// forward(x, start_pos): x holds the tokens at positions start_pos .. start_pos + T_new - 1 of the sequences
// being decoded (T_new >= 1; 0 <= start_pos <= the number of positions cached). Their keys and values are
// written into the cache at those positions; anything cached at or after start_pos is dropped first
// (start_pos = 0 starts new sequences, a smaller start_pos rewinds). The token at position p attends to the
// cached positions 0 .. p. The result, [batch, T_new, d_model], equals the full-sequence causal forward at
// those positions. The batch size stays the same until start_pos = 0.
//
// The cache holds detached tensors: the gradients of one call flow to x and to the parameters through that
// call's own tokens only (keys and values cached by earlier calls are constants).
struct CachedAttentionImpl : torch::nn::Module {
  CachedAttentionImpl(int64_t d_model, int64_t n_heads);
  // x: [batch, T_new, d_model] -> [batch, T_new, d_model]
  torch::Tensor forward(const torch::Tensor& x, int64_t start_pos);

  int64_t n_heads;
  // Registered under exactly these names: Linear d_model -> d_model, with bias.
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  // The cache (undefined when empty), in any layout you like; the reference keeps [batch, n_heads, cached,
  // head_size]. Not registered: it is state, not a parameter.
  torch::Tensor k_cache, v_cache;
};
TORCH_MODULE(CachedAttention);
}  // namespace kata

#endif

// Contract for the decoder_block exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_DECODER_BLOCK_H
#define KATA_DECODER_BLOCK_H

#include <torch/torch.h>

namespace kata {
// A pre-LayerNorm GPT-style decoder block.
//   h   = x + o_proj(causal_multi_head_attention(ln1(x)))
//   out = h + fc2(gelu(fc1(ln2(h))))
// Attention splits d_model into n_heads contiguous heads of size d_model / n_heads, applies causal
// scaled dot-product attention per head (scale 1/sqrt(head size)) and concatenates heads in order.
// GELU is the exact (erf) form. LayerNorm eps is 1e-5. No dropout.
struct DecoderBlockImpl : torch::nn::Module {
  DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff);
  // x: [batch, seq, d_model] -> [batch, seq, d_model]
  torch::Tensor forward(const torch::Tensor& x);

  int64_t n_heads;
  // Registered under exactly these names.
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr},
      o_proj{nullptr};                           // d_model -> d_model, with bias
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // d_model -> d_ff -> d_model, with bias
};
TORCH_MODULE(DecoderBlock);
}  // namespace kata

#endif

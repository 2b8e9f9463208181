// Your solution: implement kata::DecoderBlock as README.md and decoder_block.h describe.
// Judge it with: ./kata judge decoder_block
#include "decoder_block.h"

namespace kata {

DecoderBlockImpl::DecoderBlockImpl(int64_t d_model, int64_t n_heads, int64_t d_ff) : n_heads(n_heads) {
  // TODO: create and register ln1, q_proj, k_proj, v_proj, o_proj, ln2, fc1, fc2 under exactly these names
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x) {
  // x: (B, T, C)
  return torch::zeros_like(x);  // TODO: x + attention(ln1(x)), then + mlp(ln2(...))
}

}  // namespace kata

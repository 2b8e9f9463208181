// Your solution: implement kata::EncoderLayer as README.md and encoder_layer.h describe.
// Judge it with: ./kata judge encoder_layer
#include "encoder_layer.h"

namespace kata {

EncoderLayerImpl::EncoderLayerImpl(int64_t d_model, int64_t n_heads, int64_t d_ff, bool norm_first)
    : n_heads(n_heads), norm_first(norm_first) {
  // TODO: register q_proj, k_proj, v_proj, o_proj, fc1, fc2, ln1, ln2 (see encoder_layer.h)
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_padding_mask) {
  // x: (B, T, C); key_padding_mask: (B, T), true = padding, or undefined
  // TODO: post-LN when !norm_first, pre-LN when norm_first
  return x.clone();  // TODO: replace with the encoder layer
}

}  // namespace kata

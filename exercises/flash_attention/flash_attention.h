// Contract for the flash_attention exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_FLASH_ATTENTION_H
#define KATA_FLASH_ATTENTION_H

#include <torch/torch.h>

namespace kata {
struct FlashOutput {
  torch::Tensor out;  // [batch, heads, seq, head_dim]: softmax(s) v
  torch::Tensor lse;  // [batch, heads, seq]: the log-sum-exp of each query's scores, log(sum_j exp(s_ij))
};

// Scaled dot-product attention computed FlashAttention's way (the forward, on the CPU, with tensor ops):
// q, k, v: [batch, heads, seq, head_dim], one floating dtype (float32 or float64).
//   s_ij = q_i . k_j / sqrt(head_dim) over the allowed keys j (every j; with causal, only j <= i)
// The keys and values are visited in blocks of block_size positions (block_size >= 1; the last block is shorter
// when it does not divide seq), keeping per query a running maximum, a running sum of exponentials and a running
// output that are rescaled whenever the maximum grows (the online softmax). Memory must stay O(seq * block_size):
// the seq x seq score matrix is never built, not even one head at a time.
// Both results are in the inputs' dtype; out is differentiable w.r.t. q, k and v through ordinary tensor ops.
FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size);
}  // namespace kata

#endif

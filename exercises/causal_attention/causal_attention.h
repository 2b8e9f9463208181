// Contract for the causal_attention exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_CAUSAL_ATTENTION_H
#define KATA_CAUSAL_ATTENTION_H

#include <torch/torch.h>

namespace kata {
// q, k, v: [batch, heads, seq, head_dim], one floating dtype (float32 or float64).
// Returns [batch, heads, seq, head_dim] in the same dtype: position i attends to every
// position j <= i with weights softmax_j(q_i . k_j / sqrt(head_dim)).
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
}  // namespace kata

#endif

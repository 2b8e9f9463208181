// Contract for the grouped_query_attention exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_GROUPED_QUERY_ATTENTION_H
#define KATA_GROUPED_QUERY_ATTENTION_H

#include <torch/torch.h>

namespace kata {
// q: [batch, q_heads, seq, head_dim]; k, v: [batch, kv_heads, seq, head_dim]; one floating dtype
// (float32 or float64); q_heads is a multiple of kv_heads.
// The query heads come in kv_heads groups of group = q_heads / kv_heads consecutive heads: query head h
// uses kv head h / group (integer division; LLaMA-2 / Mistral), so heads 0 .. group-1 share kv head 0.
// For every batch element and query head, query position i attends to key position j with weights
//   softmax over j of  q[h][i] . k[h / group][j] / sqrt(head_dim)
// over every j when causal is false, and over j <= i only when causal is true.
// Returns [batch, q_heads, seq, head_dim] in the inputs' dtype: sum over j of weight[i][j] * v[h / group][j].
torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal);
}  // namespace kata

#endif

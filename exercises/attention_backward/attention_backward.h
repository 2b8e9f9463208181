// Contract for the attention_backward exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_ATTENTION_BACKWARD_H
#define KATA_ATTENTION_BACKWARD_H

#include <torch/torch.h>

namespace kata {
// The gradients of the loss with respect to the three inputs of the attention, each of the shape and
// dtype of that input.
struct AttentionGrads {
  torch::Tensor dq, dk, dv;
};
// q, k, v, grad_out: [batch, heads, seq, head_dim], one floating dtype (float32 or float64); any of them
// may be a non-contiguous view, and every size may be 1. The forward pass was
//   S   = q k^T / sqrt(head_dim)                         [batch, heads, seq, seq], row i query i, column j key j
//   P   = softmax(S) over j (the last dimension); when causal, only keys j <= i take part (P[i][j] = 0 for j > i)
//   out = P v                                            [batch, heads, seq, head_dim]
// and grad_out = dL/dout. Returns dq = dL/dq, dk = dL/dk, dv = dL/dv, each of its input's shape, in the
// inputs' dtype, computed by hand with tensor ops: recompute P from q and k (with the mask when causal),
// then go back through out = P v, the softmax (dS = P * (dP - sum over j of dP * P, kept as a size-1
// dimension), where dP = dL/dP), and S = q k^T / sqrt(head_dim). The inputs must be left unchanged.
// Not allowed (the judge rejects them by name): autograd (backward(), torch::autograd::grad, grad_fn()),
// LibTorch's softmax backward ops (_softmax_backward_data and relatives), matmul_backward, its fused
// attention ops (_scaled_dot_product_attention and relatives), and calling ops by name (the dispatcher,
// TorchScript).
AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out);
}  // namespace kata

#endif

// Your solution: implement kata::attention_backward as README.md and attention_backward.h describe.
// Judge it with: ./kata judge attention_backward
#include "attention_backward.h"

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  // q, k, v, grad_out: (B, H, T, D). Forward: S = q k^T / sqrt(D), P = softmax(S) (causal: j <= i), out = P v.
  // TODO: recompute P, then dv = P^T grad_out, dP = grad_out v^T, dS = P * (dP - rowsum(dP * P)),
  //       dq = dS k / sqrt(D), dk = dS^T q / sqrt(D)
  return {torch::zeros_like(q), torch::zeros_like(k), torch::zeros_like(v)};
}

}  // namespace kata

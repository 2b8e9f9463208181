// Contract for the moe_router exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_MOE_ROUTER_H
#define KATA_MOE_ROUTER_H

#include <torch/torch.h>

#include <tuple>

namespace kata {
// Shared by the three functions:
//   N tokens (N >= 1), model width D, E experts (E >= 1), top-k with 1 <= k <= E.
//   Floating tensors are all float32 or all float64 (one dtype per call); return values keep that dtype.
//   Inputs may be non-contiguous views (transposed, sliced, expanded) and must not be modified.
//
//   "Sorted" means: by router logit descending, equal logits (exact ties) by the LOWER expert index first.

// The router. logits = x w_gate ([N, E]); for each token the first k experts in sorted order.
//   x: [N, D], w_gate: [D, E].
//   returns (weights [N, k] in x's dtype, experts [N, k] int64):
//     experts[n, j] = the j-th expert of token n in sorted order (column 0 the largest logit; ties to the
//                     lower index, so a tie at the k-th place keeps the lower index);
//     weights[n, :] = softmax over the k selected logits of token n (each row sums to 1; k == 1 gives 1),
//                     equal to the softmax over all E renormalised over the k selected.
//   weights is differentiable w.r.t. x and w_gate (gradients flow through the selected logits; the
//   selection itself is a constant). experts carries no gradient.
std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k);

// The mixture of experts layer: returns [N, D] in x's dtype,
//   output[n] = sum_j weights[n, j] * expert_{experts[n, j]}(x[n])  with (weights, experts) = router_topk(x, w_gate, k)
//   expert_e(v) = relu(v w1[e] + b1[e]) w2[e] + b2[e]   (ReLU, not GELU or SiLU; b2[e] inside the expert, so
//                 it is weighted too)
//   w1: [E, D, H], b1: [E, H], w2: [E, H, D], b2: [E, D] (expert e's weights are index e of the first axis).
//   Differentiable w.r.t. x, w_gate, w1, b1, w2 and b2: x through the experts AND through the router weights,
//   w_gate through the weights. An expert that no token chose gets a zero gradient (exactly 0).
torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k);

// The Switch Transformer load-balancing loss, a scalar (0-dim tensor) in router_logits' dtype:
//   loss = E * sum_e f_e * P_e
//   f_e = (number of entries of experts equal to e) / (N * k): the fraction of all N * k token-to-expert
//         assignments that go to e, every one of the k slots counted (so sum_e f_e = 1);
//   P_e = mean over the N tokens of softmax(router_logits[n])[e] (softmax over all E experts).
//   router_logits: [N, E]; experts: [N, k] int64, values in 0 .. E-1 (not necessarily router_logits' top-k);
//   num_experts: E. Perfectly balanced routing (f_e = 1/E) or a uniform router (P_e = 1/E) gives exactly 1.
//   Differentiable w.r.t. router_logits (through P; f is a count, a constant).
torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts);
}  // namespace kata

#endif

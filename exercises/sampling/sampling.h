// Contract for the sampling exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_SAMPLING_H
#define KATA_SAMPLING_H

#include <torch/torch.h>

namespace kata {
// Shared by the three functions:
//   logits: [B, V] (B, V >= 1), float32 or float64, row b the scores of the V tokens of batch element b.
//   Token ids are the column indices 0 .. V-1. "Sorted" always means: by value descending, equal values by
//   the lower token id first (a stable descending sort). Inputs may be non-contiguous views and must not be
//   modified. Nothing here needs gradients.

// The top-k filter: bool [B, V], true for the k tokens of each row that come first in sorted order (the k
// largest logits; when several tokens tie at the k-th value, the lower ids are kept, so exactly k are true).
// k == 0 or k >= V keeps every token (all true). logits are finite here.
torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k);

// The top-p (nucleus) filter: bool [B, V]. logits may hold -inf for tokens removed earlier (at least one
// finite per row). probs = softmax(logits) over each row (-inf has probability 0). In sorted order, a token
// is kept iff the total probability of the tokens before it is < p: the smallest prefix whose mass reaches
// p, the token that crosses p included, and always at least the first token. p is in (0, 1]; p >= 1 keeps
// every token with a finite logit. A token whose logit is -inf is never kept.
torch::Tensor top_p_mask(const torch::Tensor& logits, double p);

// One draw per row, deterministic given u: returns int64 [B], the sampled token ids.
//   u: [B] float64, u[b] in [0, 1), the uniform random number for row b.
//   temperature == 0: greedy, the argmax of each row (ties to the lowest id); top_k, top_p and u are ignored.
//   temperature > 0, in this order:
//     1. x = logits / temperature
//     2. top-k: tokens outside top_k_mask(x, top_k) are removed (top_k == 0: none removed)
//     3. top-p: on the distribution of what is left (softmax over the remaining tokens, renormalised), tokens
//        outside top_p_mask are removed (top_p == 1: none removed)
//     4. q = softmax over the kept tokens (renormalised to sum 1)
//     5. inverse CDF over the kept tokens in sorted order (q descending, ties to the lower id): the answer is
//        the first of them whose cumulative q exceeds u[b] (strictly); if rounding leaves none (u[b] within
//        rounding of 1), the last kept token.
torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u);
}  // namespace kata

#endif

// Contract for the speculative_decoding exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_SPECULATIVE_DECODING_H
#define KATA_SPECULATIVE_DECODING_H

#include <torch/torch.h>

#include <tuple>

namespace kata {
// The acceptance step of speculative sampling (Leviathan et al. 2023; Chen et al. 2023), for a batch of B
// sequences. A small draft model proposed k tokens per sequence (k >= 1); the target model scored the
// prefix plus those k tokens in one pass. Shared by the three functions:
//   p:     [B, k + 1, V] float32 or float64, the target model's probabilities: row i is the distribution of
//          the token at draft position i, row k the one after the last drafted token. Rows sum to 1.
//   q:     [B, k, V], same dtype, the draft model's probabilities for its k drafted positions. Rows sum to 1.
//   draft: [B, k] int64, the drafted token ids x_i, each in 0 .. V-1 (token ids are the column indices).
// Inputs may be non-contiguous views and must not be modified.

// The probability of accepting each drafted token: a[b, i] = min(1, p[b, i, x_i] / q[b, i, x_i]), [B, k] in
// p's dtype (row k of p is not used). Where q[b, i, x_i] <= p[b, i, x_i] it is exactly 1; this covers
// q[b, i, x_i] == 0, which is 1 even when p[b, i, x_i] is 0 too (never NaN). Differentiable with respect to
// p and q (the gradient is 0 where a is 1).
torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft);

// The distribution a rejected position is resampled from: norm(max(0, p - q)), elementwise max, normalised
// to sum 1 over the last dimension. p and q: the same shape [..., V] (any number of leading dimensions),
// the same dtype; returns that shape and dtype. A row whose max(0, p - q) sums to 0 (p == q there) gives that
// row of p. Differentiable with respect to p and q.
torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q);

// The acceptance step, deterministic given the uniforms:
//   u_accept: [B, k] float64 in [0, 1), the uniform for each drafted token.
//   u_sample: [B] float64 in [0, 1), the uniform for the one token sampled at the end.
// For each sequence b, for i = 0, 1, ...: drafted token i is accepted iff u_accept[b, i] < a[b, i] (strictly:
// u equal to a rejects); stop at the first rejection. n_b = the number accepted before it (0 .. k; tokens
// after the first rejection are never accepted, whatever their u). Then one more token is sampled with
// u_sample[b]:
//   n_b < k:  the correction, from residual_distribution(p[b, n_b], q[b, n_b]);
//   n_b == k: the bonus token, from p[b, k].
// Sampling is by inverse CDF in vocabulary order: with c the cumulative sum of the distribution over ids
// 0 .. V-1, the token is the first id with c[id] > u_sample[b] (strictly), so a token of probability 0 is
// never drawn; if rounding leaves none (u within rounding of 1), the last id of nonzero probability.
// Returns {tokens, n_accepted}:
//   tokens:     [B, k + 1] int64: draft[b, 0 .. n_b - 1], then the sampled token at position n_b, then -1
//               in every later position (1 .. k + 1 real tokens per row).
//   n_accepted: [B] int64, n_b.
// Nothing here needs gradients.
std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample);
}  // namespace kata

#endif

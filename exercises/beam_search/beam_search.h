// Contract for the beam_search exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_BEAM_SEARCH_H
#define KATA_BEAM_SEARCH_H

#include <torch/torch.h>

#include <tuple>

namespace kata {
// The "model" is a table, a position-dependent bigram model:
//   log_probs: [T, V, V] (T >= max_len, V >= 2), float32 or float64. log_probs[t][prev][next] = log p(next | prev)
//   at step t, where step t (0-based) generates the (t+1)-th token after bos. Every row log_probs[t][prev] is
//   log-softmaxed (its exp sums to 1); entries are finite. Token ids are 0 .. V-1.
// Scores are sums of log-probabilities (never products of probabilities), in log_probs' dtype (compute in it or
// in float64 and convert back). Nothing here needs gradients: no input requires grad. Inputs may be
// non-contiguous views and must not be modified.
//
// Candidate order, used by beam_step: by score descending; equal scores by the LOWER beam index, then the LOWER
// token id (the order of a stable descending sort of the scores flattened as [L, V], beam-major).

struct BeamStep {
  torch::Tensor beams;       // int64 [L']: for each new live beam, the index (0 .. L-1) of the beam it extends
  torch::Tensor tokens;      // int64 [L']: the token it appends (never eos)
  torch::Tensor scores;      // [L'], log_probs' dtype: its raw score, scores[beam] + log p(token | last[beam])
  torch::Tensor eos_beams;   // int64 [F]: for each hypothesis finished by EOS at this step, the beam it extends
  torch::Tensor eos_scores;  // [F], log_probs' dtype: its raw score, scores[beam] + log p(eos | last[beam])
};

// One step of beam search, Hugging Face / fairseq style. Live beam b (0 .. L-1, L >= 1) ends in token last[b] and
// has raw score scores[b]. Its candidates are (b, v) for every token v, with score
// scores[b] + step_log_probs[last[b]][v]. All L * V candidates of all beams together are put in candidate order
// (above) and given ranks 0, 1, 2, ...; then walk the first min(2 * beam_width, L * V) of them, in rank order:
//   - token == eos and rank < beam_width: a finished hypothesis (eos_beams, eos_scores), never expanded again;
//   - token == eos and rank >= beam_width: dropped (neither finished nor live);
//   - any other token: a new live beam (beams, tokens, scores); stop the walk once beam_width live beams exist.
// Both outputs are in rank order. Each beam has one eos candidate, so the first 2 * beam_width candidates hold
// beam_width live ones whenever L * V - L >= beam_width; otherwise every non-eos candidate is live (fewer beams).
//   step_log_probs: [V, V] (log_probs[t] of the table); last: int64 [L]; scores: [L] in step_log_probs' dtype;
//   eos in 0 .. V-1; beam_width >= 1.
BeamStep beam_step(const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                   int64_t eos, int64_t beam_width);

// Ranks N >= 1 finished hypotheses. Returns (order, normalized):
//   normalized: [N], scores' dtype, in the input order: normalized[i] = scores[i] / lengths[i]^length_penalty.
//   order: int64 [N], a permutation of 0 .. N-1: the hypotheses by normalized score descending, best first; equal
//   normalized scores by the LOWER index first (a stable descending sort).
//   scores: [N] raw scores (sums of log-probs), float32 or float64; lengths: int64 [N], each >= 1;
//   length_penalty (alpha) >= 0: 0 ranks by raw score, 1 by mean log-prob per token, larger favours longer ones.
std::tuple<torch::Tensor, torch::Tensor> rank_hypotheses(const torch::Tensor& scores, const torch::Tensor& lengths,
                                                         double length_penalty);

struct BeamSearchResult {
  torch::Tensor sequences;   // int64 [N, max_len]: row i the i-th best hypothesis, its generated tokens (bos NOT
                             // included; the final eos included when it ended with one), then -1 up to max_len
  torch::Tensor lengths;     // int64 [N]: its length = the number of generated tokens, eos counted, bos not
  torch::Tensor scores;      // [N], log_probs' dtype: raw score, the sum of the log-probs of its generated tokens
  torch::Tensor normalized;  // [N], log_probs' dtype: scores / lengths^length_penalty; rows sorted by it, best first
};

// Beam search from bos over the table, with beam_step and rank_hypotheses:
//   live = one beam: no tokens yet, last token bos, score 0;  finished = empty list
//   for t = 0 .. max_len - 1:
//     step = beam_step(log_probs[t], last tokens of live, scores of live, eos, beam_width)
//     append step's finished hypotheses to `finished` in rank order (tokens of their beam + eos, length t + 1)
//     live = step's new live beams, in rank order (tokens of their beam + the token, length t + 1)
//     if finished holds >= beam_width hypotheses: stop (the live beams are dropped)
//   if the loop ran out (t reached max_len - 1 without stopping): append every live beam to finished, in beam
//   order, with length max_len (they count as finished even though they did not end in eos)
//   (order, normalized) = rank_hypotheses(scores of finished, lengths of finished, length_penalty); return the
//   first N = min(beam_width, number finished) of them in that order. Equal normalized scores therefore keep the
//   order in which hypotheses were appended to `finished`.
// The length penalty is applied only there, to finished hypotheses: pruning in beam_step uses raw scores.
//   log_probs: [T, V, V] as above, T >= max_len; bos, eos in 0 .. V-1 (bos == eos is allowed: bos is only the
//   context of step 0); beam_width >= 1; max_len >= 1; length_penalty >= 0.
BeamSearchResult beam_search(const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width,
                             int64_t max_len, double length_penalty);
}  // namespace kata

#endif

// The beam_search contract across the trust boundary (see harness/host/binding.h).
#include "beam_search.h"

#include "binding.h"

using OrderAndNormalized = std::tuple<torch::Tensor, torch::Tensor>;  // a macro argument has no commas

KATA_BIND_STRUCT(kata::BeamStep, c.beams, c.tokens, c.scores, c.eos_beams, c.eos_scores);
KATA_BIND_STRUCT(kata::BeamSearchResult, c.sequences, c.lengths, c.scores, c.normalized);

KATA_BIND_FUNCTION(kata::BeamStep, beam_step,
                   (const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                    int64_t eos, int64_t beam_width),
                   (step_log_probs, last, scores, eos, beam_width))
KATA_BIND_FUNCTION(OrderAndNormalized, rank_hypotheses,
                   (const torch::Tensor& scores, const torch::Tensor& lengths, double length_penalty),
                   (scores, lengths, length_penalty))
KATA_BIND_FUNCTION(kata::BeamSearchResult, beam_search,
                   (const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width, int64_t max_len,
                    double length_penalty),
                   (log_probs, bos, eos, beam_width, max_len, length_penalty))

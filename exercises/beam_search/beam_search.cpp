// Your solution: implement kata::beam_step, kata::rank_hypotheses and kata::beam_search as README.md and
// beam_search.h describe. Judge it with: ./kata judge beam_search
#include "beam_search.h"

namespace kata {

BeamStep beam_step(const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                   int64_t eos, int64_t beam_width) {
  // step_log_probs: (V, V); last, scores: (L,). TODO: score every (beam, token) pair, rank them all together
  // (score descending, ties: lower beam, then lower token), walk the first 2 * beam_width: eos with rank <
  // beam_width finishes, other eos are dropped, other tokens become live until beam_width of them
  auto none = torch::zeros({0}, torch::kInt64);
  return {none, none, torch::zeros({0}, step_log_probs.options()), none, torch::zeros({0}, step_log_probs.options())};
}

std::tuple<torch::Tensor, torch::Tensor> rank_hypotheses(const torch::Tensor& scores, const torch::Tensor& lengths,
                                                         double length_penalty) {
  // scores: (N,), lengths: (N,) int64. TODO: normalized = scores / lengths^length_penalty; order = a stable
  // descending sort of it (ties: lower index first)
  return {torch::arange(scores.size(0), torch::kInt64), scores.clone()};  // TODO: replace
}

BeamSearchResult beam_search(const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width,
                             int64_t max_len, double length_penalty) {
  // log_probs: (T, V, V). TODO: start from one beam (bos, score 0); beam_step at every t < max_len; collect the
  // finished hypotheses; stop at beam_width finished, else add the live beams at max_len; rank and keep the best
  return {torch::full({1, max_len}, -1, torch::kInt64), torch::ones({1}, torch::kInt64),
          torch::zeros({1}, log_probs.options()), torch::zeros({1}, log_probs.options())};  // TODO: replace
}

}  // namespace kata

// expect: accepted
// why: tensors another way: the candidates ranked by a stable ascending argsort of the negated scores, the walk over the first 2 * beam_width as a loop on an accessor, live beams kept as rows of a [L, max_len] tensor pre-filled with -1 (column t written each step), finished hypotheses gathered with torch::cat, and the length penalty as exp(alpha * log(length))
#include "beam_search.h"

#include <algorithm>
#include <vector>

namespace kata {

BeamStep beam_step(const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                   int64_t eos, int64_t beam_width) {
  const int64_t V = step_log_probs.size(1);
  auto flat = (step_log_probs.index({last}) + scores.unsqueeze(-1)).flatten();  // (L*V,)
  auto ranked = (-flat).argsort(/*stable=*/true, /*dim=*/0, /*descending=*/false);
  auto r = ranked.accessor<int64_t, 1>();
  const int64_t n = std::min<int64_t>(2 * beam_width, flat.size(0));
  std::vector<int64_t> live_idx, done_idx;
  for (int64_t i = 0; i < n && static_cast<int64_t>(live_idx.size()) < beam_width; ++i) {
    if (r[i] % V == eos) {
      if (i < beam_width) done_idx.push_back(r[i]);
    } else {
      live_idx.push_back(r[i]);
    }
  }
  auto live = torch::tensor(live_idx, torch::kInt64).reshape({-1});
  auto done = torch::tensor(done_idx, torch::kInt64).reshape({-1});
  return {torch::floor_divide(live, V), live % V, flat.index({live}), torch::floor_divide(done, V), flat.index({done})};
}

std::tuple<torch::Tensor, torch::Tensor> rank_hypotheses(const torch::Tensor& scores, const torch::Tensor& lengths,
                                                         double length_penalty) {
  auto normalized = scores * torch::exp(-length_penalty * lengths.to(scores.scalar_type()).log());
  auto order = (-normalized).argsort(/*stable=*/true, /*dim=*/0, /*descending=*/false);
  return {order, normalized};
}

BeamSearchResult beam_search(const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width,
                             int64_t max_len, double length_penalty) {
  auto rows = torch::full({1, max_len}, -1, torch::kInt64);  // live beams, -1 after their tokens
  auto last = torch::full({1}, bos, torch::kInt64);
  auto scores = torch::zeros({1}, log_probs.scalar_type());
  auto done_rows = torch::empty({0, max_len}, torch::kInt64);
  auto done_scores = torch::empty({0}, log_probs.scalar_type());
  auto done_lengths = torch::empty({0}, torch::kInt64);
  int64_t t = 0;
  for (; t < max_len; ++t) {
    auto step = beam_step(log_probs.select(0, t), last, scores, eos, beam_width);
    auto ended = rows.index({step.eos_beams}).clone();
    ended.select(1, t).fill_(eos);
    done_rows = torch::cat({done_rows, ended});
    done_scores = torch::cat({done_scores, step.eos_scores});
    done_lengths = torch::cat({done_lengths, torch::full({ended.size(0)}, t + 1, torch::kInt64)});
    rows = rows.index({step.beams}).clone();
    rows.select(1, t).copy_(step.tokens);
    last = step.tokens;
    scores = step.scores;
    if (done_rows.size(0) >= beam_width) break;
  }
  if (t == max_len) {
    done_rows = torch::cat({done_rows, rows});
    done_scores = torch::cat({done_scores, scores});
    done_lengths = torch::cat({done_lengths, torch::full({rows.size(0)}, max_len, torch::kInt64)});
  }
  auto ranked = rank_hypotheses(done_scores, done_lengths, length_penalty);
  auto best = std::get<0>(ranked).slice(0, 0, beam_width);
  return {done_rows.index({best}), done_lengths.index({best}), done_scores.index({best}),
          std::get<1>(ranked).index({best})};
}

}  // namespace kata

// expect: wrong_answer BeamSearch.TiesKeepFinishOrder
// mistake: live beams at max_len put before the finished hypotheses (ties go to them)
// why: the finished list is in the order hypotheses finished, and the live beams cut at max_len are appended after the eos hypotheses of the last step; putting them first (or merging them in candidate order) makes a live beam win a tie against an eos hypothesis with the same score and length; append the live beams last and rank with a stable sort
#include "beam_search.h"

#include <algorithm>
#include <vector>

namespace kata {

BeamStep beam_step(const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                   int64_t eos, int64_t beam_width) {
  const int64_t V = step_log_probs.size(-1);
  auto cand = scores.unsqueeze(1) + step_log_probs.index_select(/*dim=*/0, last);  // (L, V) every continuation
  auto flat = cand.reshape({-1});                                                    // (L*V,) beam-major
  auto order = std::get<1>(flat.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));  // ties: lower flat index
  const int64_t n = std::min(2 * beam_width, flat.numel());
  auto top = order.narrow(/*dim=*/0, /*start=*/0, /*length=*/n);        // (n,) the first 2K ranks
  auto beam = top.div(V, /*rounding_mode=*/"floor");                     // (n,)
  auto token = top.remainder(V);                                         // (n,)
  auto score = flat.index_select(/*dim=*/0, top);                        // (n,)
  auto is_eos = token == eos;                                            // (n,)
  auto rank = torch::arange(n, top.options());                           // (n,)
  auto done = is_eos & (rank < beam_width);                              // (n,) finished, never expanded
  auto live = ~is_eos & (is_eos.logical_not().cumsum(/*dim=*/0) <= beam_width);  // (n,) the first K non-eos
  return {beam.masked_select(live), token.masked_select(live), score.masked_select(live), beam.masked_select(done),
          score.masked_select(done)};
}

std::tuple<torch::Tensor, torch::Tensor> rank_hypotheses(const torch::Tensor& scores, const torch::Tensor& lengths,
                                                         double length_penalty) {
  auto normalized = scores / lengths.to(scores.scalar_type()).pow(length_penalty);  // (N,)
  auto order = std::get<1>(normalized.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));  // (N,) ties: lower index
  return {order, normalized};
}

// (L, t) token rows padded with -1 to (L, max_len).
static torch::Tensor pad(const torch::Tensor& seqs, int64_t max_len) {
  return torch::constant_pad_nd(seqs, {0, max_len - seqs.size(1)}, /*value=*/-1);
}

BeamSearchResult beam_search(const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width,
                             int64_t max_len, double length_penalty) {
  auto ids = torch::TensorOptions().dtype(torch::kInt64).device(log_probs.device());
  auto seqs = torch::empty({1, 0}, ids);                    // (L, t) tokens of the live beams
  auto last = torch::full({1}, bos, ids);                   // (L,)
  auto scores = torch::zeros({1}, log_probs.options());     // (L,)
  std::vector<torch::Tensor> done_seqs, done_scores, done_lengths;
  int64_t finished = 0;
  bool stopped = false;
  for (int64_t t = 0; t < max_len && !stopped; ++t) {
    auto step = beam_step(log_probs[t], last, scores, eos, beam_width);
    const int64_t F = step.eos_beams.size(0);
    auto ended = torch::cat({seqs.index_select(/*dim=*/0, step.eos_beams), torch::full({F, 1}, eos, ids)}, /*dim=*/1);
    done_seqs.push_back(pad(ended, max_len));                // (F, max_len)
    done_scores.push_back(step.eos_scores);                  // (F,)
    done_lengths.push_back(torch::full({F}, t + 1, ids));    // (F,)
    finished += F;
    seqs = torch::cat({seqs.index_select(/*dim=*/0, step.beams), step.tokens.unsqueeze(1)}, /*dim=*/1);  // (L', t+1)
    last = step.tokens;
    scores = step.scores;
    stopped = finished >= beam_width;
  }
  if (!stopped) {  // max_len reached: the live beams count as finished
    done_seqs.insert(done_seqs.begin(), seqs);                   // live beams first
    done_scores.insert(done_scores.begin(), scores);
    done_lengths.insert(done_lengths.begin(), torch::full({seqs.size(0)}, max_len, ids));
  }
  auto all_seqs = torch::cat(done_seqs);        // (H, max_len)
  auto all_scores = torch::cat(done_scores);    // (H,)
  auto all_lengths = torch::cat(done_lengths);  // (H,)
  auto [order, normalized] = rank_hypotheses(all_scores, all_lengths, length_penalty);
  auto best = order.narrow(/*dim=*/0, /*start=*/0, /*length=*/std::min(beam_width, order.size(0)));  // (N,)
  return {all_seqs.index_select(0, best), all_lengths.index_select(0, best), all_scores.index_select(0, best),
          normalized.index_select(0, best)};
}

}  // namespace kata

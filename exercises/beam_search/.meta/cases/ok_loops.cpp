// expect: accepted
// why: plain C++ loops, as on a whiteboard: the table and scores copied out as doubles, every (beam, token) candidate in a std::vector sorted by std::stable_sort on (score descending) from beam-major order, hypotheses as structs with std::vector<int64_t> tokens, and a stable sort of their indices by score / pow(length, alpha); scores accumulate in double and are rounded to the table's dtype once at the end, which the float32 tolerance absorbs
#include "beam_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace kata {
namespace {

std::vector<double> doubles(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous().reshape({-1});
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::vector<int64_t> longs(const torch::Tensor& t) {
  auto c = t.to(torch::kInt64).contiguous().reshape({-1});
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

struct Candidate {
  int64_t beam, token;
  double score;
};

struct Walk {
  std::vector<Candidate> live, done;
};

// table: V * V doubles of one step, row-major.
Walk walk(const std::vector<double>& table, int64_t V, const std::vector<int64_t>& last,
          const std::vector<double>& scores, int64_t eos, int64_t K) {
  std::vector<Candidate> all;
  for (size_t b = 0; b < last.size(); ++b)
    for (int64_t v = 0; v < V; ++v)
      all.push_back({static_cast<int64_t>(b), v, scores[b] + table[last[b] * V + v]});
  std::stable_sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  Walk w;
  const int64_t n = std::min<int64_t>(2 * K, static_cast<int64_t>(all.size()));
  for (int64_t r = 0; r < n && static_cast<int64_t>(w.live.size()) < K; ++r) {
    if (all[r].token == eos) {
      if (r < K) w.done.push_back(all[r]);
    } else {
      w.live.push_back(all[r]);
    }
  }
  return w;
}

torch::Tensor ids_of(const std::vector<int64_t>& v) {
  return torch::tensor(v, torch::kInt64).reshape({static_cast<int64_t>(v.size())});
}

torch::Tensor values_of(const std::vector<double>& v, torch::ScalarType dtype) {
  return torch::tensor(v, torch::kFloat64).reshape({static_cast<int64_t>(v.size())}).to(dtype);
}

std::vector<int64_t> stable_order(const std::vector<double>& normalized) {
  std::vector<int64_t> order(normalized.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return normalized[a] > normalized[b]; });
  return order;
}

}  // namespace

BeamStep beam_step(const torch::Tensor& step_log_probs, const torch::Tensor& last, const torch::Tensor& scores,
                   int64_t eos, int64_t beam_width) {
  auto w = walk(doubles(step_log_probs), step_log_probs.size(1), longs(last), doubles(scores), eos, beam_width);
  std::vector<int64_t> beams, tokens, eos_beams;
  std::vector<double> live_scores, eos_scores;
  for (const auto& c : w.live) {
    beams.push_back(c.beam);
    tokens.push_back(c.token);
    live_scores.push_back(c.score);
  }
  for (const auto& c : w.done) {
    eos_beams.push_back(c.beam);
    eos_scores.push_back(c.score);
  }
  auto dtype = step_log_probs.scalar_type();
  return {ids_of(beams), ids_of(tokens), values_of(live_scores, dtype), ids_of(eos_beams),
          values_of(eos_scores, dtype)};
}

std::tuple<torch::Tensor, torch::Tensor> rank_hypotheses(const torch::Tensor& scores, const torch::Tensor& lengths,
                                                         double length_penalty) {
  auto s = doubles(scores);
  auto l = longs(lengths);
  std::vector<double> normalized(s.size());
  for (size_t i = 0; i < s.size(); ++i) normalized[i] = s[i] / std::pow(static_cast<double>(l[i]), length_penalty);
  // Ties are decided on the values in the scores' dtype, as the contract compares them.
  auto rounded = doubles(values_of(normalized, scores.scalar_type()));
  return {ids_of(stable_order(rounded)), values_of(normalized, scores.scalar_type())};
}

BeamSearchResult beam_search(const torch::Tensor& log_probs, int64_t bos, int64_t eos, int64_t beam_width,
                             int64_t max_len, double length_penalty) {
  const int64_t V = log_probs.size(1);
  auto dtype = log_probs.scalar_type();
  struct Hyp {
    std::vector<int64_t> tokens;
    double score;
  };
  std::vector<Hyp> live = {{{}, 0.0}}, done;
  bool stopped = false;
  for (int64_t t = 0; t < max_len && !stopped; ++t) {
    std::vector<int64_t> last;
    std::vector<double> scores;
    for (const auto& h : live) {
      last.push_back(h.tokens.empty() ? bos : h.tokens.back());
      scores.push_back(h.score);
    }
    auto w = walk(doubles(log_probs[t]), V, last, scores, eos, beam_width);
    for (const auto& c : w.done) {
      Hyp h = live[c.beam];
      h.tokens.push_back(eos);
      h.score = c.score;
      done.push_back(h);
    }
    std::vector<Hyp> next;
    for (const auto& c : w.live) {
      Hyp h = live[c.beam];
      h.tokens.push_back(c.token);
      h.score = c.score;
      next.push_back(h);
    }
    live = next;
    stopped = static_cast<int64_t>(done.size()) >= beam_width;
  }
  if (!stopped) done.insert(done.end(), live.begin(), live.end());
  std::vector<double> raw, normalized;
  for (const auto& h : done) {
    raw.push_back(h.score);
    normalized.push_back(h.score / std::pow(static_cast<double>(h.tokens.size()), length_penalty));
  }
  auto order = stable_order(doubles(values_of(normalized, dtype)));
  const int64_t N = std::min<int64_t>(beam_width, static_cast<int64_t>(done.size()));
  auto sequences = torch::full({N, max_len}, -1, torch::kInt64);
  std::vector<int64_t> lengths;
  std::vector<double> best_raw, best_norm;
  for (int64_t i = 0; i < N; ++i) {
    const Hyp& h = done[order[i]];
    for (size_t j = 0; j < h.tokens.size(); ++j) sequences[i][static_cast<int64_t>(j)] = h.tokens[j];
    lengths.push_back(static_cast<int64_t>(h.tokens.size()));
    best_raw.push_back(raw[order[i]]);
    best_norm.push_back(normalized[order[i]]);
  }
  return {sequences, ids_of(lengths), values_of(best_raw, dtype), values_of(best_norm, dtype)};
}

}  // namespace kata

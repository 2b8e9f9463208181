// Hidden tests for beam_search: the learner's kata::beam_step, kata::rank_hypotheses and kata::beam_search against
// the reference. Nothing is differentiable (scores are values, the rest are ids), so the checks compare ids and
// orders exactly and scores within a tolerance, in float64 and float32.
//
// The crafted checks build tables from chosen probabilities (the tokens that matter, and "filler" for the rest of
// a row: the remaining mass split unevenly, so fillers never tie, in a random order per seed), so that each known
// mistake changes the answer on every seed; the intended ties are exact (the same value added to the same value)
// in any dtype and any order of operations. The random checks redraw a table until every comparison the search
// makes is at least kMargin = 1e-3 (in log-prob units) away from a tie: the walked candidates of every step in
// rank order (and the first one not walked), and the normalized scores of all finished hypotheses.
//
// Tolerances: scores and normalized scores use kata_test::tolerance_for (float64 1e-10; float32 rtol 1.3e-6, atol
// 1e-5). Measured (a /tmp program, 300 random searches per dtype, V 5..12, beam_width 1..4, max_len 1..7, eos logits
// + 1, no margin imposed): the right solutions in cases/ return the reference's sequences every time, and scores
// within 8.9e-16 in float64 and 4.8e-7 in float32 (0.05 of atol; ok_loops accumulates in double and rounds once).
// kMargin is 2000x that float32 difference, so rounding never flips a decision.
#include "kata_test.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "beam_search.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kExact{0, 0};
const double kMargin = 1e-3;

// ---- Tables.

// Probabilities of the tokens that matter in one row; the rest of the mass is filler.
using Row = std::vector<std::pair<int64_t, double>>;

// A log-softmaxed row [V] (float64): the given tokens get their probabilities, the other tokens share the rest
// in the proportions 1, 0.8, 0.8^2, ... in a random order (so no two fillers tie, and which is larger changes
// with the seed).
torch::Tensor log_row(int64_t V, const Row& row) {
  std::vector<double> p(V, -1.0);
  double rest = 1.0;
  for (const auto& [tok, prob] : row) {
    p[tok] = prob;
    rest -= prob;
  }
  std::vector<int64_t> free;
  for (int64_t v = 0; v < V; ++v)
    if (p[v] < 0) free.push_back(v);
  auto perm = torch::randperm(static_cast<int64_t>(free.size()), torch::kInt64);
  double total = 0;
  for (size_t i = 0; i < free.size(); ++i) total += std::pow(0.8, static_cast<double>(i));
  for (size_t i = 0; i < free.size(); ++i)
    p[free[perm[static_cast<int64_t>(i)].item<int64_t>()]] = rest * std::pow(0.8, static_cast<double>(i)) / total;
  return torch::tensor(p, torch::kFloat64).log();
}

std::string row_text(const Row& row) {
  std::vector<std::string> parts;
  for (const auto& [tok, prob] : row) parts.push_back(fmt::format("{}: {}", tok, prob));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

struct Spec {
  int64_t t, prev;
  Row row;
};

// A table [T, V, V]: the rows of `specs` as given, every other row random (softmax of randn, near uniform).
torch::Tensor table_of(int64_t T, int64_t V, const std::vector<Spec>& specs) {
  auto lp = torch::log_softmax(torch::randn({T, V, V}, torch::kFloat64) * 0.3, /*dim=*/-1);
  for (const auto& s : specs) lp[s.t][s.prev].copy_(log_row(V, s.row));
  return lp;
}

std::string specs_text(const std::vector<Spec>& specs) {
  std::vector<std::string> parts;
  for (const auto& s : specs) parts.push_back(fmt::format("t {} after {}: {}", s.t, s.prev, row_text(s.row)));
  return fmt::format("key probabilities [{}] (other tokens share the rest)", fmt::join(parts, "; "));
}

// Random tables: rows log_softmax(randn * 1.5), eos made likelier by `eos_bias`.
torch::Tensor random_table(int64_t T, int64_t V, int64_t eos, double eos_bias) {
  auto logits = torch::randn({T, V, V}, torch::kFloat64) * 1.5;
  logits.select(2, eos).add_(eos_bias);
  return torch::log_softmax(logits, /*dim=*/-1);
}

// ---- Margins: how far the decisions of the reference are from a tie (float64 arithmetic on the given values).

double gap_of_sorted_desc(const torch::Tensor& sorted) {
  if (sorted.numel() < 2) return std::numeric_limits<double>::infinity();
  return (sorted.narrow(0, 0, sorted.numel() - 1) - sorted.narrow(0, 1, sorted.numel() - 1)).min().item<double>();
}

// The smallest gap between consecutive candidates among the first min(2K + 1, L * V) of one step.
double step_margin(const torch::Tensor& step_lp, const torch::Tensor& last, const torch::Tensor& scores, int64_t K) {
  auto cand = (scores.to(torch::kFloat64).unsqueeze(1) + step_lp.to(torch::kFloat64).index_select(0, last)).reshape({-1});
  auto sorted = std::get<0>(cand.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  return gap_of_sorted_desc(sorted.narrow(0, 0, std::min(2 * K + 1, sorted.numel())));
}

double rank_margin(const torch::Tensor& normalized) {
  return gap_of_sorted_desc(std::get<0>(normalized.to(torch::kFloat64).sort(true, 0, true)));
}

struct Search {
  int64_t bos, eos, K, max_len;
  double alpha;
};

std::string search_text(const Search& s) {
  return fmt::format("bos {}, eos {}, beam_width {}, max_len {}, length_penalty {}", s.bos, s.eos, s.K, s.max_len,
                     s.alpha);
}

// The reference's search replayed in float64, returning the smallest gap of any decision it makes.
double search_margin(const torch::Tensor& table, const Search& s) {
  auto lp = table.to(torch::kFloat64);
  auto last = torch::full({1}, s.bos, torch::kInt64);
  auto scores = torch::zeros({1}, torch::kFloat64);
  std::vector<torch::Tensor> done_scores, done_lengths;
  int64_t finished = 0;
  double margin = std::numeric_limits<double>::infinity();
  bool stopped = false;
  for (int64_t t = 0; t < s.max_len && !stopped; ++t) {
    margin = std::min(margin, step_margin(lp[t], last, scores, s.K));
    auto step = reference::kata::beam_step(lp[t], last, scores, s.eos, s.K);
    done_scores.push_back(step.eos_scores);
    done_lengths.push_back(torch::full({step.eos_scores.size(0)}, t + 1, torch::kInt64));
    finished += step.eos_scores.size(0);
    last = step.tokens;
    scores = step.scores;
    stopped = finished >= s.K;
  }
  if (!stopped) {
    done_scores.push_back(scores);
    done_lengths.push_back(torch::full({scores.size(0)}, s.max_len, torch::kInt64));
  }
  auto normalized = std::get<1>(reference::kata::rank_hypotheses(torch::cat(done_scores), torch::cat(done_lengths),
                                                                  s.alpha));
  return std::min(margin, rank_margin(normalized));
}

// A random table [T, V, V] in `dtype` whose search has every decision at least kMargin from a tie.
torch::Tensor safe_table(int64_t T, int64_t V, const Search& s, torch::ScalarType dtype, double eos_bias) {
  torch::Tensor t;
  for (int tries = 0; tries < 200; ++tries) {
    t = random_table(T, V, s.eos, eos_bias).to(dtype);
    if (search_margin(t, s) >= kMargin) return t;
  }
  return t;
}

// ---- Comparisons. Every field is compared, so that a mistake is matched on all of them, not on the first.

std::optional<std::string> first_of(const std::vector<std::optional<std::string>>& errors) {
  for (const auto& e : errors)
    if (e) return e;
  return std::nullopt;
}

std::string step_case(const torch::Tensor& step_lp, const torch::Tensor& last, const torch::Tensor& scores,
                      int64_t eos, int64_t K, const std::string& note) {
  std::string s = fmt::format("eos {}, beam_width {}", eos, K);
  if (last.numel() <= 8) {
    auto l = last.contiguous();
    auto sc = scores.to(torch::kFloat64).contiguous();
    std::vector<std::string> ls, ss;
    for (int64_t i = 0; i < l.numel(); ++i) {
      ls.push_back(std::to_string(l[i].item<int64_t>()));
      ss.push_back(fmt::format("{:.4f}", sc[i].item<double>()));
    }
    s += fmt::format(", last [{}], scores [{}]", fmt::join(ls, ", "), fmt::join(ss, ", "));
  }
  if (!note.empty()) s += ", " + note;
  return s + ", " + kata_test::describe({{"step_log_probs", step_lp}, {"last", last}, {"scores", scores}});
}

// The learner's beam_step on the given inputs against the reference's on `same_lp` (equal values).
std::optional<std::string> check_step(const torch::Tensor& step_lp, const torch::Tensor& same_lp,
                                      const torch::Tensor& last, const torch::Tensor& scores, int64_t eos, int64_t K,
                                      const std::string& note = "") {
  auto want = reference::kata::beam_step(same_lp, last.clone(), scores.clone(), eos, K);
  const std::string c = step_case(step_lp, last, scores, eos, K, note);
  auto got = kata::beam_step(step_lp, last, scores, eos, K);
  return first_of({diff(got.beams, want.beams, "beam_step(...).beams", c, kExact),
                   diff(got.tokens, want.tokens, "beam_step(...).tokens", c, kExact),
                   diff(got.scores, want.scores, "beam_step(...).scores", c),
                   diff(got.eos_beams, want.eos_beams, "beam_step(...).eos_beams", c, kExact),
                   diff(got.eos_scores, want.eos_scores, "beam_step(...).eos_scores", c)});
}
std::optional<std::string> check_step(const torch::Tensor& step_lp, const torch::Tensor& last,
                                      const torch::Tensor& scores, int64_t eos, int64_t K,
                                      const std::string& note = "") {
  return check_step(step_lp, step_lp, last, scores, eos, K, note);
}

std::optional<std::string> check_rank(const torch::Tensor& scores, const torch::Tensor& lengths, double alpha,
                                      const std::string& note = "") {
  auto want = reference::kata::rank_hypotheses(scores.clone(), lengths.clone(), alpha);
  std::string c = fmt::format("length_penalty {}", alpha);
  if (scores.numel() <= 10) {
    auto sc = scores.to(torch::kFloat64).contiguous();
    auto ln = lengths.contiguous();
    std::vector<std::string> ss, ls;
    for (int64_t i = 0; i < sc.numel(); ++i) {
      ss.push_back(fmt::format("{:.4g}", sc[i].item<double>()));
      ls.push_back(std::to_string(ln[i].item<int64_t>()));
    }
    c += fmt::format(", scores [{}], lengths [{}]", fmt::join(ss, ", "), fmt::join(ls, ", "));
  }
  if (!note.empty()) c += ", " + note;
  c += ", " + kata_test::describe({{"scores", scores}, {"lengths", lengths}});
  auto got = kata::rank_hypotheses(scores, lengths, alpha);
  return first_of({diff(std::get<0>(got), std::get<0>(want), "rank_hypotheses(...) order", c, kExact),
                   diff(std::get<1>(got), std::get<1>(want), "rank_hypotheses(...) normalized", c)});
}

// The learner's beam_search on `table` against the reference's on `same` (equal values; `table` may be a view).
std::optional<std::string> check_search(const torch::Tensor& table, const torch::Tensor& same, const Search& s,
                                        const std::string& note = "") {
  auto want = reference::kata::beam_search(same.clone(), s.bos, s.eos, s.K, s.max_len, s.alpha);
  std::string c = search_text(s);
  if (!note.empty()) c += ", " + note;
  c += ", " + kata_test::describe({{"log_probs", table}});
  auto got = kata::beam_search(table, s.bos, s.eos, s.K, s.max_len, s.alpha);
  return first_of({diff(got.sequences, want.sequences, "beam_search(...).sequences", c, kExact),
                   diff(got.lengths, want.lengths, "beam_search(...).lengths", c, kExact),
                   diff(got.scores, want.scores, "beam_search(...).scores", c),
                   diff(got.normalized, want.normalized, "beam_search(...).normalized", c)});
}
std::optional<std::string> check_search(const torch::Tensor& table, const Search& s, const std::string& note = "") {
  return check_search(table, table, s, note);
}

// Beam scores log(probs) plus one random shift (the order, and exact ties, are unchanged by it).
torch::Tensor beam_scores(const std::vector<double>& probs, torch::ScalarType dtype) {
  auto shift = torch::rand({}, torch::kFloat64).item<double>() * -3.0;
  return (torch::tensor(probs, torch::kFloat64).log() + shift).to(dtype);
}

torch::Tensor ids(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64); }

// One step's table [V, V]: the given rows, the others random.
torch::Tensor step_table(int64_t V, const std::vector<std::pair<int64_t, Row>>& rows, torch::ScalarType dtype) {
  std::vector<Spec> specs;
  for (const auto& [prev, row] : rows) specs.push_back({0, prev, row});
  return table_of(1, V, specs)[0].to(dtype);
}

std::string rows_text(const std::vector<std::pair<int64_t, Row>>& rows) {
  std::vector<std::string> parts;
  for (const auto& [prev, row] : rows) parts.push_back(fmt::format("after {}: {}", prev, row_text(row)));
  return fmt::format("probabilities [{}] (other tokens share the rest)", fmt::join(parts, "; "));
}

const std::vector<torch::ScalarType> kDtypes = {torch::kFloat64, torch::kFloat32};

// ---- beam_step.

TEST(BeamStep, LogSpaceScores) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "beams, tokens and eos_beams are int64; scores and eos_scores are in step_log_probs' dtype.");
  kata_test::meaning(
      "A candidate's score is its beam's score PLUS the log-probability of the token: scores are sums of "
      "log-probs, the log of the product of the probabilities. Adding probabilities (exp of the log-probs), or "
      "multiplying log-probs, ranks the candidates differently and returns scores that are not log-probabilities "
      "of the sequences.");
  for (auto dtype : kDtypes) {
    // Beams with probability 0.6 and 0.4: 0.6 * 0.5 = 0.30 and 0.4 * 0.9 = 0.36, so beam 1's token 4 comes first;
    // adding probabilities (log 0.6 + 0.5 vs log 0.4 + 0.9) puts beam 0's token 0 first.
    std::vector<std::pair<int64_t, Row>> rows = {{1, {{0, 0.5}, {2, 0.3}}}, {3, {{4, 0.9}}}};
    auto lp = step_table(6, rows, dtype);
    KATA_ASSERT_OK(check_step(lp, ids({1, 3}), beam_scores({0.6, 0.4}, dtype), 5, 2,
                              "beam probabilities [0.6, 0.4], " + rows_text(rows)));
    // The first step: one beam (bos = 2), score 0.
    std::vector<std::pair<int64_t, Row>> first = {{2, {{3, 0.45}, {0, 0.3}, {5, 0.15}}}};
    auto lp0 = step_table(6, first, dtype);
    KATA_ASSERT_OK(check_step(lp0, ids({2}), torch::zeros({1}, dtype), 1, 2, "the first step, " + rows_text(first)));
  }
}

TEST(BeamStep, BestOverAllBeams) {
  kata_test::meaning(
      "The new beams are the best candidates over ALL beams together: rank every (beam, token) pair of every beam by "
      "its score, and take them in that order. Taking a fixed number per beam (each beam's own best tokens) keeps "
      "worse candidates of one beam while better ones of another are dropped: here beam 0 holds the three best.");
  for (auto dtype : kDtypes) {
    // Beams 0.5, 0.3, 0.2: beam 0's tokens give 0.15, 0.125, 0.10; the best of beam 1 0.09, of beam 2 0.08.
    std::vector<std::pair<int64_t, Row>> rows = {
        {0, {{1, 0.3}, {2, 0.25}, {3, 0.2}, {4, 0.15}}}, {4, {{5, 0.3}, {6, 0.2}}}, {6, {{0, 0.4}, {2, 0.2}}}};
    auto lp = step_table(8, rows, dtype);
    KATA_ASSERT_OK(check_step(lp, ids({0, 4, 6}), beam_scores({0.5, 0.3, 0.2}, dtype), 7, 3,
                              "beam probabilities [0.5, 0.3, 0.2], " + rows_text(rows)));
  }
}

TEST(BeamStep, EosFinishes) {
  kata_test::meaning(
      "A candidate whose token is eos, ranked among the first beam_width, is a finished hypothesis: it goes to "
      "eos_beams/eos_scores and is never a live beam (nothing is generated after eos). The live beams are the next "
      "beam_width candidates that are not eos, taken from the first 2 * beam_width: so there are still beam_width "
      "of them, not beam_width minus the finished ones.");
  for (auto dtype : kDtypes) {
    // Beams 0.55, 0.45, eos = 0: beam 0's eos 0.275 (rank 0), beam 1's token 4 0.18, beam 0's token 2 0.165,
    // beam 1's token 5 0.09.
    std::vector<std::pair<int64_t, Row>> rows = {{3, {{0, 0.5}, {2, 0.3}, {4, 0.15}}}, {1, {{4, 0.4}, {5, 0.2}}}};
    auto lp = step_table(6, rows, dtype);
    KATA_ASSERT_OK(check_step(lp, ids({3, 1}), beam_scores({0.55, 0.45}, dtype), 0, 2,
                              "beam probabilities [0.55, 0.45], " + rows_text(rows)));
    // Two beams finish at once (ranks 0 and 1 of 3); three live beams still come out of the first six.
    std::vector<std::pair<int64_t, Row>> two = {
        {2, {{4, 0.6}, {1, 0.2}, {3, 0.1}}}, {5, {{4, 0.7}, {0, 0.15}}}, {0, {{3, 0.5}, {2, 0.3}}}};
    auto lp2 = step_table(6, two, dtype);
    KATA_ASSERT_OK(check_step(lp2, ids({2, 5, 0}), beam_scores({0.4, 0.35, 0.25}, dtype), 4, 3,
                              "beam probabilities [0.4, 0.35, 0.25], " + rows_text(two)));
  }
}

TEST(BeamStep, EosBeyondBeamWidthDropped) {
  kata_test::meaning(
      "An eos candidate ranked at beam_width or later (but inside the first 2 * beam_width, before the walk has "
      "its live beams) is dropped: it is neither finished nor live (Hugging Face: `if beam_token_rank >= "
      "num_beams: continue`). Only eos candidates among the first beam_width finish.");
  for (auto dtype : kDtypes) {
    // Beams 0.6, 0.4, eos = 3: beam 0's token 2 0.30 (rank 0), beam 0's eos 0.18 (rank 1: finished), beam 1's eos
    // 0.16 (rank 2: dropped), beam 1's token 4 0.08 (rank 3: live).
    std::vector<std::pair<int64_t, Row>> rows = {{0, {{2, 0.5}, {3, 0.3}}}, {5, {{3, 0.4}, {4, 0.2}}}};
    auto lp = step_table(6, rows, dtype);
    KATA_ASSERT_OK(check_step(lp, ids({0, 5}), beam_scores({0.6, 0.4}, dtype), 3, 2,
                              "beam probabilities [0.6, 0.4], " + rows_text(rows)));
  }
}

TEST(BeamStep, Ties) {
  kata_test::meaning(
      "Equal candidate scores are ordered by the LOWER beam index, then the LOWER token id: the order of a stable "
      "descending sort of the scores flattened as [L, V] (beam-major), sort(/*stable=*/true, /*dim=*/0, "
      "/*descending=*/true). torch::topk and an unstable sort order ties arbitrarily; sorting ascending and "
      "flipping puts the higher index first.");
  for (auto dtype : kDtypes) {
    // Beams 0 and 1 are equal (score log 0.4, last token 1) and tokens 2 and 4 are equally likely after 1 (0.35):
    // four candidates tie at 0.14; the first three in the order (0, 2), (0, 4), (1, 2), (1, 4) are kept.
    std::vector<std::pair<int64_t, Row>> rows = {{1, {{2, 0.35}, {4, 0.35}}}, {3, {{0, 0.5}}}};
    auto lp = step_table(7, rows, dtype);
    KATA_ASSERT_OK(check_step(lp, ids({1, 1, 3}), beam_scores({0.4, 0.4, 0.2}, dtype), 6, 3,
                              "beam probabilities [0.4, 0.4, 0.2], " + rows_text(rows)));
    // An eos tied with a token of the same beam at the beam_width boundary: eos = 2 has the lower id, rank 1 of 2:
    // finished; the other, rank 2, is live.
    std::vector<std::pair<int64_t, Row>> eos_tie = {{4, {{0, 0.4}, {2, 0.25}, {5, 0.25}}}};
    auto lp2 = step_table(6, eos_tie, dtype);
    KATA_ASSERT_OK(check_step(lp2, ids({4}), torch::zeros({1}, dtype), 2, 2, "one beam, " + rows_text(eos_tie)));
  }
}

// ---- rank_hypotheses.

// scores and lengths in a random order (the same permutation for both).
std::pair<torch::Tensor, torch::Tensor> shuffled(const std::vector<double>& scores, const std::vector<int64_t>& lengths,
                                                 torch::ScalarType dtype) {
  auto perm = torch::randperm(static_cast<int64_t>(scores.size()), torch::kInt64);
  return {torch::tensor(scores, torch::kFloat64).index_select(0, perm).to(dtype), ids(lengths).index_select(0, perm)};
}

TEST(RankHypotheses, LengthPenalty) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "order is int64; normalized is in scores' dtype.");
  kata_test::meaning(
      "normalized = scores / lengths^length_penalty, and the order sorts by it, best (largest) first. Ranking by the "
      "raw score ignores the penalty (short hypotheses always win); dividing by the length itself is "
      "length_penalty = 1 whatever it is (the mean log-prob per token).");
  for (auto dtype : kDtypes) {
    // alpha 1: normalized -1, -0.7, -2, -0.786: order 1, 3, 0, 2 (by raw: 2, 0, 1, 3).
    auto [s, l] = shuffled({-3.0, -4.2, -2.0, -5.5}, {3, 6, 1, 7}, dtype);
    KATA_ASSERT_OK(check_rank(s, l, 1.0));
    // alpha 0.5: -1.732, -1.715, -2, -2.079: order 1, 0, 2, 3 (as with alpha 1: 1, 3, 0, 2).
    KATA_ASSERT_OK(check_rank(s, l, 0.5));
    KATA_ASSERT_OK(check_rank(s, l, 2.0));
    KATA_ASSERT_OK(check_rank(s, l, 0.0));
  }
}

TEST(RankHypotheses, Ties) {
  kata_test::meaning(
      "Equal normalized scores keep their input order: the lower index first (a stable descending sort, "
      "sort(/*stable=*/true, /*dim=*/0, /*descending=*/true)). beam_search appends hypotheses in the order they "
      "finish, so a tie goes to the one that finished first.");
  for (auto dtype : kDtypes) {
    // Indices 0, 2 and 4 are the same hypothesis (score -2, length 2): exactly equal in any dtype.
    auto s = torch::tensor({-2.0, -4.5, -2.0, -1.0, -2.0}, torch::kFloat64).to(dtype);
    auto l = ids({2, 3, 2, 4, 2});
    KATA_ASSERT_OK(check_rank(s, l, 1.0, "indices 0, 2 and 4 tie"));
    KATA_ASSERT_OK(check_rank(s, l, 0.0, "indices 0, 2 and 4 tie"));
  }
}

// ---- beam_search, crafted.

TEST(BeamSearch, Sequences) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "sequences and lengths are int64; scores and normalized are in log_probs' dtype.");
  kata_test::meaning(
      "A row of sequences holds the generated tokens only: bos is the context of the first step, not a token of "
      "the hypothesis; the final eos is included; -1 pads the row to max_len. Here both beams end with eos at the "
      "second step: [2, 1] (0.5 * 0.7) and [3, 1] (0.35 * 0.8), lengths 2.");
  for (auto dtype : kDtypes) {
    Search s{5, 1, 2, 4, 0.0};
    std::vector<Spec> specs = {{0, 5, {{2, 0.5}, {3, 0.35}}}, {1, 2, {{1, 0.7}, {4, 0.2}}}, {1, 3, {{1, 0.8}, {0, 0.1}}}};
    KATA_ASSERT_OK(check_search(table_of(4, 6, specs).to(dtype), s, specs_text(specs)));
  }
}

TEST(BeamSearch, StopsAtBeamWidthFinished) {
  kata_test::meaning(
      "The search stops after the step at which the finished list reaches beam_width hypotheses, not at the first "
      "eos, and not only at max_len. Here [1, eos] finishes at step 1 and [2, 4, eos] at step 2: the search stops "
      "there and returns them, although the live beam [1, 3, 5] would finish better (0.209) at step 3.");
  for (auto dtype : kDtypes) {
    Search s{0, 6, 2, 5, 0.0};
    std::vector<Spec> specs = {{0, 0, {{1, 0.5}, {2, 0.3}}},
                               {1, 1, {{3, 0.5}, {6, 0.4}}},
                               {1, 2, {{4, 0.6}, {6, 0.1}}},
                               {2, 3, {{5, 0.88}, {6, 0.01}}},
                               {2, 4, {{6, 0.85}}},
                               {3, 5, {{6, 0.95}}}};
    KATA_ASSERT_OK(check_search(table_of(5, 7, specs).to(dtype), s, specs_text(specs)));
  }
}

TEST(BeamSearch, LiveBeamsAtMaxLen) {
  kata_test::meaning(
      "When max_len is reached with fewer than beam_width finished hypotheses, the live beams count as finished "
      "(length max_len, no eos) and are ranked with the others. Here only [4, eos] ends with eos; the best "
      "hypothesis is the live beam [3, 5, 2].");
  for (auto dtype : kDtypes) {
    Search s{2, 0, 2, 3, 0.0};
    std::vector<Spec> specs = {{0, 2, {{3, 0.6}, {4, 0.3}}},
                               {1, 3, {{5, 0.7}, {1, 0.2}}},
                               {1, 4, {{0, 0.5}, {1, 0.45}}},
                               {2, 5, {{2, 0.9}}},
                               {2, 1, {{3, 0.5}, {0, 0.3}}}};
    KATA_ASSERT_OK(check_search(table_of(3, 6, specs).to(dtype), s, specs_text(specs)));
  }
}

TEST(BeamSearch, LengthPenalty) {
  kata_test::meaning(
      "The length penalty is applied once, when the finished hypotheses are ranked: normalized = score / "
      "length^length_penalty, length = the generated tokens with eos, without bos. Pruning in every step uses the "
      "raw sums of log-probs (dividing the running scores at every step changes which beams survive), and the "
      "returned scores are those raw sums.");
  for (auto dtype : kDtypes) {
    // alpha 1, beam_width 2, eos 0. After two steps the live beams are A = [1, 2] (0.6 * 0.8 = 0.48) and
    // B = [4, 5] (0.38 * 0.25 = 0.095). Step 2: A's tokens 3 (0.22) and 4 (0.2) beat B's token 6 (0.9) on raw
    // scores (0.106, 0.096 > 0.086); with the running scores divided by the length at every step, B's token 6
    // comes first and pushes out A's token 4, whose [1, 2, 4, eos] (0.95 after 4) is the winner.
    Search s{6, 0, 2, 4, 1.0};
    std::vector<Spec> specs = {{0, 6, {{1, 0.6}, {4, 0.38}}}, {1, 1, {{2, 0.8}}}, {1, 4, {{5, 0.25}}},
                               {2, 2, {{3, 0.22}, {4, 0.2}}}, {2, 5, {{6, 0.9}}}, {3, 4, {{0, 0.95}}},
                               {3, 3, {{0, 0.3}}},            {3, 6, {{0, 0.5}}}};
    KATA_ASSERT_OK(check_search(table_of(4, 7, specs).to(dtype), s, specs_text(specs)));
    // alpha 2 and 0.5 on the Sequences table: eos-ended hypotheses of length 2.
    std::vector<Spec> seq = {{0, 5, {{2, 0.5}, {3, 0.35}}}, {1, 2, {{1, 0.7}, {4, 0.2}}}, {1, 3, {{1, 0.8}, {0, 0.1}}}};
    auto table = table_of(4, 6, seq).to(dtype);
    KATA_ASSERT_OK(check_search(table, {5, 1, 2, 4, 2.0}, specs_text(seq)));
    KATA_ASSERT_OK(check_search(table, {5, 1, 2, 4, 0.5}, specs_text(seq)));
  }
}

TEST(BeamSearch, TiesKeepFinishOrder) {
  kata_test::meaning(
      "Equal normalized scores keep the order in which hypotheses were appended to the finished list: earlier "
      "step first, within a step candidate rank order (lower beam, then lower token), and the live beams added at "
      "max_len after that step's eos hypotheses. Here [2], [4] tie after step 0 and four candidates tie at step 1: "
      "[2, eos] finishes (rank 1), [2, 1] and [4, 1] are live at max_len, all three with the same score and length: "
      "the answer is [2, eos], then [2, 1].");
  for (auto dtype : kDtypes) {
    std::vector<Spec> specs = {{0, 0, {{2, 0.4}, {4, 0.4}}}, {1, 2, {{1, 0.35}, {3, 0.35}}}, {1, 4, {{1, 0.35}, {3, 0.35}}}};
    KATA_ASSERT_OK(check_search(table_of(2, 5, specs).to(dtype), {0, 3, 2, 2, 0.0}, specs_text(specs)));
  }
}

// ---- beam_search, random.

void random_searches(torch::ScalarType dtype) {
  struct Shape {
    int64_t T, V, K, max_len;
    double alpha;
  };
  for (const auto& sh : std::vector<Shape>{
           {6, 8, 3, 6, 1.0}, {5, 5, 2, 5, 0.0}, {7, 12, 4, 7, 0.6}, {4, 6, 2, 4, 1.5}, {6, 10, 3, 5, 2.0}}) {
    const int64_t eos = torch::randint(0, sh.V, {}, torch::kInt64).item<int64_t>();
    const int64_t bos = torch::randint(0, sh.V, {}, torch::kInt64).item<int64_t>();
    Search s{bos, eos, sh.K, sh.max_len, sh.alpha};
    for (double bias : {0.0, 1.5}) {
      KATA_ASSERT_OK(check_search(safe_table(sh.T, sh.V, s, dtype, bias), s,
                                  fmt::format("random table, eos logits + {}", bias)));
    }
  }
}

void random_steps(torch::ScalarType dtype) {
  for (int i = 0; i < 6; ++i) {
    const int64_t V = torch::randint(4, 13, {}, torch::kInt64).item<int64_t>();
    const int64_t K = torch::randint(1, 5, {}, torch::kInt64).item<int64_t>();
    const int64_t L = torch::randint(1, K + 1, {}, torch::kInt64).item<int64_t>();
    const int64_t eos = torch::randint(0, V, {}, torch::kInt64).item<int64_t>();
    torch::Tensor lp, last, scores;
    for (int tries = 0; tries < 200; ++tries) {
      lp = random_table(1, V, eos, 1.0)[0].to(dtype);
      last = torch::randint(0, V, {L}, torch::kInt64);
      scores = (torch::rand({L}, torch::kFloat64) * -4.0).to(dtype);
      if (step_margin(lp, last, scores, K) >= kMargin) break;
    }
    KATA_ASSERT_OK(check_step(lp, last, scores, eos, K, "random"));
  }
  for (int i = 0; i < 4; ++i) {
    const int64_t N = torch::randint(1, 9, {}, torch::kInt64).item<int64_t>();
    const double alpha = torch::rand({}, torch::kFloat64).item<double>() * 2.0;
    torch::Tensor s, l;
    for (int tries = 0; tries < 200; ++tries) {
      s = (torch::rand({N}, torch::kFloat64) * -10.0).to(dtype);
      l = torch::randint(1, 9, {N}, torch::kInt64);
      if (rank_margin(std::get<1>(reference::kata::rank_hypotheses(s, l, alpha))) >= kMargin) break;
    }
    KATA_ASSERT_OK(check_rank(s, l, alpha, "random"));
  }
}

TEST(BeamSearch, RandomFloat64) {
  kata_test::meaning(
      "The search differs on random tables (every decision at least 1e-3 from a tie). Per step: all (beam, token) "
      "candidates ranked together by raw score; the first 2 * beam_width walked: eos in the first beam_width "
      "finishes, other eos dropped, other tokens live up to beam_width. Stop at beam_width finished, else add the "
      "live beams at max_len; rank by score / length^length_penalty.");
  random_steps(torch::kFloat64);
  random_searches(torch::kFloat64);
}

TEST(BeamSearch, RandomFloat32) {
  kata_test::meaning("The search differs on random float32 tables: the same rules as in float64.");
  random_steps(torch::kFloat32);
  random_searches(torch::kFloat32);
}

TEST(BeamSearch, EdgeCases) {
  kata_test::meaning(
      "beam_width 1 (greedy decoding), max_len 1, a vocabulary of 2, beam_width larger than the vocabulary (the "
      "first step has fewer candidates than 2 * beam_width, so fewer live beams), bos equal to eos (bos is only the "
      "context of step 0: an eos generated at step 0 still finishes), and a table longer than max_len.");
  for (auto dtype : kDtypes) {
    auto check = [&](int64_t T, int64_t V, const Search& s, const std::string& what) {
      return check_search(safe_table(T, V, s, dtype, 1.0), s, what);
    };
    KATA_ASSERT_OK(check(6, 7, {0, 3, 1, 6, 0.0}, "beam_width 1 (greedy)"));
    KATA_ASSERT_OK(check(6, 7, {2, 3, 1, 6, 1.0}, "beam_width 1 (greedy), length_penalty 1"));
    KATA_ASSERT_OK(check(3, 6, {1, 2, 3, 1, 1.0}, "max_len 1"));
    KATA_ASSERT_OK(check(4, 2, {0, 1, 2, 4, 0.5}, "V = 2"));
    KATA_ASSERT_OK(check(4, 3, {2, 0, 4, 4, 1.0}, "beam_width 4 > V = 3"));
    KATA_ASSERT_OK(check(5, 6, {4, 4, 2, 5, 1.0}, "bos == eos"));
    KATA_ASSERT_OK(check(9, 6, {0, 5, 3, 4, 1.0}, "T = 9 > max_len = 4"));
    // One beam, eos the most likely first token: a hypothesis of length 1 ([eos]).
    std::vector<Spec> specs = {{0, 0, {{2, 0.7}, {1, 0.2}}}};
    KATA_ASSERT_OK(check_search(table_of(3, 5, specs).to(dtype), {0, 2, 1, 3, 1.0}, specs_text(specs)));
  }
}

TEST(BeamSearch, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: a table stored transposed or sliced out of a longer one, last and scores "
      "with a stride or expanded (stride 0). .view() or data_ptr indexing assume a memory layout; use tensor ops (or .contiguous()).");
  for (auto dtype : kDtypes) {
    Search s{1, 4, 3, 5, 1.0};
    auto table = safe_table(5, 8, s, dtype, 1.0);
    auto transposed = table.transpose(1, 2).contiguous().transpose(1, 2);
    KATA_ASSERT_OK(check_search(transposed, table, s, "log_probs stored transposed"));
    auto longer = torch::randn({9, 8, 8}, torch::kFloat64).to(dtype);
    longer.narrow(0, 2, 5).copy_(table);
    KATA_ASSERT_OK(check_search(longer.narrow(0, 2, 5), table, s, "log_probs sliced from [9, 8, 8]"));
    auto lp = table[0];
    auto last = ids({1, 6, 3});
    auto scores = beam_scores({0.5, 0.3, 0.2}, dtype);
    auto last_view = torch::stack({last, last + 1}, 1).select(1, 0);
    auto scores_view = torch::stack({scores, scores * 2}, 1).select(1, 0);
    KATA_ASSERT_OK(check_step(lp.t().contiguous().t(), lp, last_view, scores_view, 4, 3,
                              "step_log_probs stored transposed, last and scores strided"));
    // Expanded views (stride 0): three beams on the same last token, two beams with the same score.
    KATA_ASSERT_OK(check_step(lp, ids({5}).expand({3}), scores, 4, 3, "last expanded from [1]"));
    KATA_ASSERT_OK(check_step(lp, ids({1, 6}), scores.narrow(0, 0, 1).expand({2}), 4, 2, "scores expanded from [1]"));
    auto l = ids({3, 1, 4, 2});
    auto sc = torch::tensor({-3.1, -1.2, -5.3, -2.9}, torch::kFloat64).to(dtype);
    KATA_ASSERT_OK(check_rank(torch::stack({sc, sc}, 1).select(1, 0), torch::stack({l, l}, 1).select(1, 1), 1.0,
                              "scores and lengths strided"));
  }
}

TEST(BeamSearch, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op on the table, the scores or the lengths, such as "
      "scores.add_() or lengths.pow_()): the caller reuses them (the table is the model), so they must be left as "
      "they were.");
  Search s{0, 3, 3, 5, 1.0};
  auto table = safe_table(5, 7, s, torch::kFloat64, 1.0);
  auto table0 = table.clone();
  kata::beam_search(table, s.bos, s.eos, s.K, s.max_len, s.alpha);
  KATA_ASSERT_OK(diff(table, table0, "log_probs after beam_search", search_text(s), kExact));
  auto last = ids({1, 2}), scores = beam_scores({0.6, 0.4}, torch::kFloat64);
  auto last0 = last.clone(), scores0 = scores.clone();
  kata::beam_step(table[0], last, scores, 3, 2);
  KATA_ASSERT_OK(diff(table, table0, "step_log_probs after beam_step", "beam_step", kExact));
  KATA_ASSERT_OK(diff(last, last0, "last after beam_step", "beam_step", kExact));
  KATA_ASSERT_OK(diff(scores, scores0, "scores after beam_step", "beam_step", kExact));
  auto sc = torch::tensor({-3.0, -1.0, -2.5}, torch::kFloat64), l = ids({3, 1, 2});
  auto sc0 = sc.clone(), l0 = l.clone();
  kata::rank_hypotheses(sc, l, 1.0);
  KATA_ASSERT_OK(diff(sc, sc0, "scores after rank_hypotheses", "rank_hypotheses", kExact));
  KATA_ASSERT_OK(diff(l, l0, "lengths after rank_hypotheses", "rank_hypotheses", kExact));
}

}  // namespace

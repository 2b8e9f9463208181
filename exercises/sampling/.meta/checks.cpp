// Hidden tests for sampling: the learner's kata::top_k_mask, kata::top_p_mask and kata::sample against the
// reference. Nothing is differentiable, so every comparison is exact (token ids and masks). The crafted checks
// build logits from chosen probabilities and u from chosen points of the CDF, each at least 0.03 away from
// every boundary, so that each known mistake changes the answer on every seed and rounding never does; the
// random checks pick top_p and u at least 1e-4 away from every cumulative mass of the reference.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "sampling.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kExact{0, 0};
const double kInf = std::numeric_limits<double>::infinity();

struct Config {
  double temperature;
  int64_t top_k;
  double top_p;
};

std::string values(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  std::vector<std::string> parts;
  for (int64_t i = 0; i < c.numel(); ++i) parts.push_back(fmt::format("{:.4g}", c.data_ptr<double>()[i]));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

// "[[1, 3, 3], [0.5, -inf, 2]]"
std::string rows_of(const torch::Tensor& t) {
  std::vector<std::string> rows;
  for (int64_t b = 0; b < t.size(0); ++b) rows.push_back(values(t[b]));
  return fmt::format("[{}]", fmt::join(rows, ", "));
}

// "temperature 0.5, top_k 0, top_p 1, u [0.55, 0.75, 0.95], logits [3, 3] float64, u [3] float64, seed 7"
std::string describe_case(const torch::Tensor& logits, const Config& c, const torch::Tensor& u,
                          const std::string& note = "") {
  std::string s = fmt::format("temperature {}, top_k {}, top_p {}", c.temperature, c.top_k, c.top_p);
  if (u.numel() <= 8) s += ", u " + values(u);
  if (!note.empty()) s += ", " + note;
  return s + ", " + kata_test::describe({{"logits", logits}, {"u", u}});
}

// Rows of logits log(probs[b]) + a random shift per row (softmax is unchanged by the shift; equal
// probabilities stay exactly equal; probability 0 gives -inf).
torch::Tensor logits_from_probs(const std::vector<std::vector<double>>& probs, torch::ScalarType dtype) {
  std::vector<torch::Tensor> rows;
  for (const auto& p : probs) rows.push_back(torch::tensor(p, torch::kFloat64));
  auto x = torch::stack(rows).log();
  auto shift = torch::rand({x.size(0), 1}, torch::kFloat64) * 4 - 2;
  return (x + shift).to(dtype);
}

// Random logits whose values are at least 0.3 * scale apart within a row: each row a random permutation of
// 0, 0.4, 0.8, ... plus noise below 0.1, times scale, shifted. No ties, and no order that rounding can flip.
torch::Tensor spread_logits(int64_t B, int64_t V, torch::ScalarType dtype, double scale = 1.0) {
  auto ranks = torch::rand({B, V}, torch::kFloat64).argsort(/*dim=*/-1, /*descending=*/false).to(torch::kFloat64);
  auto x = (ranks * 0.4 + torch::rand({B, V}, torch::kFloat64) * 0.1) * scale;
  return (x - torch::rand({B, 1}, torch::kFloat64) * 0.4 * V * scale).to(dtype);
}

torch::Tensor uniforms(const std::vector<double>& u) { return torch::tensor(u, torch::kFloat64); }

// Cumulative probabilities in sorted order after temperature and top-k (what top-p measures), float64.
torch::Tensor masses_after_top_k(const torch::Tensor& logits, const Config& c) {
  auto x = logits.to(torch::kFloat64) / c.temperature;
  x = x.masked_fill(reference::kata::top_k_mask(x, c.top_k).logical_not(), -kInf);
  auto sorted = std::get<0>(x.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));
  return torch::softmax(sorted, -1).cumsum(-1);
}

// The CDF the draw walks: kept tokens in sorted order, renormalised, float64 ([B, V], 1 after the last kept).
torch::Tensor draw_cdf(const torch::Tensor& logits, const Config& c) {
  auto x = logits.to(torch::kFloat64) / c.temperature;
  x = x.masked_fill(reference::kata::top_k_mask(x, c.top_k).logical_not(), -kInf);
  x = x.masked_fill(reference::kata::top_p_mask(x, c.top_p).logical_not(), -kInf);
  auto sorted = std::get<0>(x.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));
  return torch::softmax(sorted, -1).cumsum(-1);
}

const double kMargin = 1e-4;

// A top_p in [0.2, 0.95] at least kMargin from every cumulative mass of every row, or 1 if none is found.
double safe_top_p(const torch::Tensor& logits, Config c) {
  auto cum = masses_after_top_k(logits, c);
  for (int tries = 0; tries < 200; ++tries) {
    double p = 0.2 + 0.75 * torch::rand({}, torch::kFloat64).item<double>();
    if ((cum - p).abs().min().item<double>() > kMargin) return p;
  }
  return 1.0;
}

// u [B] in [0, 1), each at least kMargin from every step of its row's CDF.
torch::Tensor safe_u(const torch::Tensor& logits, const Config& c) {
  auto cdf = draw_cdf(logits, c);
  auto u = torch::rand({logits.size(0)}, torch::kFloat64);
  for (int tries = 0; tries < 200; ++tries) {
    auto bad = (cdf - u.unsqueeze(1)).abs().amin(/*dim=*/1) <= kMargin;
    if (!bad.any().item<bool>()) break;
    u = torch::where(bad, torch::rand_like(u), u);
  }
  return u;
}

// The learner's ids on `logits` against the reference's on `same` (equal values; `logits` may be a view). The
// reference runs first, so a learner that writes into its inputs cannot change what it is compared with.
std::optional<std::string> check_sample(const torch::Tensor& logits, const torch::Tensor& same, const Config& c,
                                        const torch::Tensor& u, const std::string& what, const std::string& note = "") {
  auto want = reference::kata::sample(same, c.temperature, c.top_k, c.top_p, u.clone());
  return diff(kata::sample(logits, c.temperature, c.top_k, c.top_p, u), want, what, describe_case(logits, c, u, note),
              kExact);
}
std::optional<std::string> check_sample(const torch::Tensor& logits, const Config& c, const torch::Tensor& u,
                                        const std::string& what, const std::string& note = "") {
  return check_sample(logits, logits, c, u, what, note);
}

std::optional<std::string> check_top_k(const torch::Tensor& logits, int64_t k, const std::string& note = "") {
  auto want = reference::kata::top_k_mask(logits, k);
  return diff(kata::top_k_mask(logits, k), want, fmt::format("top_k_mask(logits, k = {})", k),
              fmt::format("{}{}", note.empty() ? "" : note + ", ", kata_test::describe({{"logits", logits}})), kExact);
}

std::optional<std::string> check_top_p(const torch::Tensor& logits, double p, const std::string& note = "") {
  auto want = reference::kata::top_p_mask(logits, p);
  return diff(kata::top_p_mask(logits, p), want, fmt::format("top_p_mask(logits, p = {})", p),
              fmt::format("{}{}", note.empty() ? "" : note + ", ", kata_test::describe({{"logits", logits}})), kExact);
}

TEST(Sampling, TopKMask) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "top_k_mask returns a bool tensor [B, V] (true = kept).");
  kata_test::meaning(
      "The top-k mask differs. Exactly k tokens per row are kept (k == 0 or k >= V: all): the first k in sorted "
      "order, value descending and equal values by the lower id. A threshold (logits >= the k-th largest value, "
      "as Hugging Face's TopKLogitsWarper does) keeps every token tied with the k-th; torch::topk and an unstable "
      "sort order ties arbitrarily; sorting ascending and flipping puts the higher id first. Use "
      "sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Rows with ties at the k-th value (k = 2), the columns shuffled; the shift per row keeps ties exact.
    auto perm = torch::randperm(6, torch::kInt64);
    auto tied = (torch::tensor(
                     {1., 3., 3., 3., 0., 2., 2., 0., 2., 1., 2., 2., 5., 4., 4., 1., 0., -1., 0., 1., 2., 3., 4., 5.},
                     torch::kFloat64)
                     .reshape({4, 6}) +
                 torch::rand({4, 1}, torch::kFloat64) * 4 - 2)
                    .index_select(1, perm)
                    .to(dtype);
    const std::string note = "ties at the k-th value, logits " + rows_of(tied);
    KATA_ASSERT_OK(check_top_k(tied, 2, note));
    KATA_ASSERT_OK(check_top_k(tied, 1, note));
    KATA_ASSERT_OK(check_top_k(tied, 4, note));
    // Many tokens tied at the top (as after a repetition penalty or in a low-precision model): k of them.
    auto plateau = torch::zeros({2, 80}, torch::kFloat64);
    plateau.narrow(1, 10, 60).fill_(3.0);
    plateau.select(0, 1).narrow(0, 0, 5).fill_(4.0);
    KATA_ASSERT_OK(check_top_k(plateau.to(dtype), 12, "60 tokens tied"));
    auto x = spread_logits(5, 9, dtype);
    for (int64_t k : {0, 1, 3, 8, 9, 12}) KATA_ASSERT_OK(check_top_k(x, k));
  }
}

TEST(Sampling, TopPMask) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "top_p_mask returns a bool tensor [B, V] (true = kept).");
  kata_test::meaning(
      "The top-p mask differs. In sorted order (probability descending, ties by the lower id) a token is kept iff "
      "the mass of the tokens BEFORE it is < p: the token that crosses p is kept (cumsum - probs < p, or a cumsum "
      "shifted right by one), the first token always is, -inf logits never are, and p >= 1 keeps every finite "
      "logit (cumulative sums can round to 1 before the last token).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto perm = torch::randperm(5, torch::kInt64);
    auto x = logits_from_probs({{0.1, 0.4, 0.05, 0.3, 0.15},
                                {0.3, 0.2, 0.3, 0.1, 0.1},
                                {0.0, 0.5, 0.25, 0.0, 0.25},
                                {0.7, 0.1, 0.1, 0.05, 0.05}},
                               dtype)
                 .index_select(1, perm);
    const std::string note = "probabilities " + rows_of(torch::softmax(x.to(torch::kFloat64), -1));
    KATA_ASSERT_OK(check_top_p(x, 0.65, note));
    KATA_ASSERT_OK(check_top_p(x, 0.2, note));
    KATA_ASSERT_OK(check_top_p(x, 0.77, note));
    // p = 1 keeps every finite logit, also those whose probabilities (~1e-26 and less) vanish in the sum: the
    // first token's probability is exactly 1.0 in floating point, so the mass before the others is 1.0, not < 1.
    auto tail = torch::tensor({0.0, -60.0, -kInf, -70.0, -65.0}, torch::kFloat64).unsqueeze(0).to(dtype);
    KATA_ASSERT_OK(check_top_p(tail, 1.0, "logits [0, -60, -inf, -70, -65]: probabilities 1, ~1e-26, 0, ..."));
    // Random logits, some tokens already removed, p away from every cumulative mass.
    auto r = spread_logits(6, 12, dtype);
    r = r.masked_fill(torch::rand({6, 12}) < 0.3, -kInf);
    r.select(1, 0).fill_(0.5);  // at least one finite logit per row
    KATA_ASSERT_OK(check_top_p(r, safe_top_p(r, {1.0, 0, 1.0}), "random logits, some -inf"));
    KATA_ASSERT_OK(check_top_p(r, 1.0, "random logits, some -inf"));
  }
}

TEST(Sampling, Greedy) {
  kata_test::meaning(
      "With temperature 0 the draw is greedy: the argmax of each row, ties to the lowest id (torch::argmax "
      "returns the first maximum), whatever top_k, top_p and u are. Dividing by a temperature of 0 gives inf and "
      "NaN: test for 0 first.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto tied = (torch::tensor({1., 5., 2., 5., 0., 0., 3., 3., -1., 4., 2., 4., 2., 1., 2., 0.}, torch::kFloat64)
                     .reshape({4, 4}) +
                 torch::rand({4, 1}, torch::kFloat64) * 4 - 2)
                    .to(dtype);
    // Rows [1, 5, 2, 5], [0, 0, 3, 3], [-1, 4, 2, 4], [2, 1, 2, 0] plus a constant: ids 1, 2, 1, 0.
    auto u = torch::rand({4}, torch::kFloat64);
    KATA_ASSERT_OK(check_sample(tied, {0.0, 0, 1.0}, u, "ids at temperature 0", "ties at each row's maximum"));
    KATA_ASSERT_OK(check_sample(tied, {0.0, 2, 0.5}, u, "ids at temperature 0 (top_k and top_p ignored)",
                                "ties at each row's maximum"));
    auto x = spread_logits(6, 20, dtype);
    KATA_ASSERT_OK(check_sample(x, {0.0, 0, 1.0}, torch::rand({6}, torch::kFloat64), "ids at temperature 0"));
  }
}

TEST(Sampling, InverseCdfInSortedOrder) {
  kata_test::meaning(
      "The draw walks the kept tokens in sorted order (probability descending, ties to the lower id) and returns "
      "the first whose cumulative probability exceeds u. Walking them in vocabulary order (cumsum of the probs "
      "as they are) is a valid sampler too, but a different function of u: the contract fixes the sorted order, "
      "so that u near 0 gives the most likely token.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Sorted: id 2 (0.4), id 3 (0.3), id 1 (0.2), id 0 (0.1), CDF 0.4 0.7 0.9 1.
    auto x = logits_from_probs(std::vector<std::vector<double>>(5, {0.1, 0.2, 0.4, 0.3}), dtype);
    KATA_ASSERT_OK(check_sample(x, {1.0, 0, 1.0}, uniforms({0.0, 0.2, 0.55, 0.8, 0.95}), "ids",
                                "probabilities [0.1, 0.2, 0.4, 0.3] in every row"));
    // Ties: sorted id 1, id 3 (0.3 each), id 0, id 2 (0.2 each), CDF 0.3 0.6 0.8 1.
    auto t = logits_from_probs(std::vector<std::vector<double>>(4, {0.2, 0.3, 0.2, 0.3}), dtype);
    KATA_ASSERT_OK(check_sample(t, {1.0, 0, 1.0}, uniforms({0.15, 0.45, 0.7, 0.9}), "ids",
                                "probabilities [0.2, 0.3, 0.2, 0.3] in every row"));
  }
}

TEST(Sampling, Temperature) {
  kata_test::meaning(
      "Temperature divides the logits before the softmax: q = softmax(logits / T). Dividing the probabilities "
      "instead (softmax(logits) / T) changes nothing once they are renormalised; multiplying the logits by T "
      "sharpens where it should flatten. (softmax(logits)^(1/T), renormalised, is the same as dividing.)");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // logits [0, 2, 1]: T = 0.5 gives CDF 0.867 0.984 1 (ids 1, 2, 0); T = 1 0.665 0.910; T = 2 0.506 0.814.
    auto x = (torch::tensor({0.0, 2.0, 1.0}, torch::kFloat64).expand({3, 3}) + torch::rand({3, 1}, torch::kFloat64))
                 .to(dtype);
    const std::string note = "logits [0, 2, 1] plus a constant per row";
    KATA_ASSERT_OK(check_sample(x, {0.5, 0, 1.0}, uniforms({0.55, 0.75, 0.95}), "ids at temperature 0.5", note));
    KATA_ASSERT_OK(check_sample(x, {2.0, 0, 1.0}, uniforms({0.3, 0.58, 0.85}), "ids at temperature 2", note));
    auto r = spread_logits(6, 15, dtype);
    for (double T : {0.3, 0.7, 1.8}) {
      Config c{T, 0, 1.0};
      KATA_ASSERT_OK(check_sample(r, c, safe_u(r, c), fmt::format("ids at temperature {}", T)));
    }
  }
}

TEST(Sampling, TopKThenTopP) {
  kata_test::meaning(
      "top-p measures the distribution left after top-k, renormalised: softmax over the kept logits (set the "
      "others to -inf), not the full softmax with the removed tokens zeroed. And the draw uses the kept "
      "probabilities renormalised to sum 1 (softmax over the kept tokens), not as they were.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Sorted: id 1 (0.30), id 4 (0.25), id 3 (0.20), id 0 (0.15), id 5 (0.06), id 2 (0.04). top_k 3 leaves
    // 0.4 0.333 0.267; top_p 0.6 then keeps ids 1 and 4, renormalised 0.545 0.455.
    auto x = logits_from_probs(std::vector<std::vector<double>>(4, {0.15, 0.30, 0.04, 0.20, 0.25, 0.06}), dtype);
    const std::string note = "probabilities [0.15, 0.3, 0.04, 0.2, 0.25, 0.06] in every row";
    auto u = uniforms({0.2, 0.45, 0.7, 0.9});
    KATA_ASSERT_OK(check_sample(x, {1.0, 3, 0.6}, u, "ids", note));
    KATA_ASSERT_OK(check_sample(x, {1.0, 0, 0.6}, u, "ids (top-p alone)", note));
    KATA_ASSERT_OK(check_sample(x, {1.0, 2, 1.0}, u, "ids (top-k alone)", note));
    KATA_ASSERT_OK(check_sample(x, {0.5, 4, 0.8}, u, "ids at temperature 0.5", note));
  }
}

void random_samples(torch::ScalarType dtype) {
  struct Shape {
    int64_t B, V;
  };
  for (const auto& s : std::vector<Shape>{{8, 10}, {5, 50}, {3, 7}, {6, 100}}) {
    auto x = spread_logits(s.B, s.V, dtype);
    for (bool with_k : {false, true}) {
      for (bool with_p : {false, true}) {
        Config c{0.6 + torch::rand({}, torch::kFloat64).item<double>(),
                 with_k ? torch::randint(1, s.V, {}, torch::kInt64).item<int64_t>() : 0, 1.0};
        if (with_p) c.top_p = safe_top_p(x, c);
        KATA_ASSERT_OK(check_sample(x, c, safe_u(x, c), "ids"));
      }
    }
  }
}

TEST(Sampling, SampleFloat64) {
  kata_test::meaning(
      "The sampled ids differ on random logits. In order: x = logits / T; top-k on x; top-p on softmax of what "
      "is left; renormalise; the first kept token in sorted order whose cumulative probability exceeds u.");
  random_samples(torch::kFloat64);
}

TEST(Sampling, SampleFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "sample returns int64 token ids, whatever the logits' dtype (argmax and sort indices are "
                     "int64 already).");
  kata_test::meaning("The sampled ids differ on float32 logits: the same steps as in float64.");
  random_samples(torch::kFloat32);
}

TEST(Sampling, InverseCdfReproducesTheDistribution) {
  kata_test::meaning(
      "With u on an even grid (i + 0.5) / N, an inverse-CDF sampler returns each token about N * q times, q the "
      "final distribution. Yours does not: the probabilities it draws from are not softmax(logits / T) "
      "restricted to the kept tokens and renormalised.");
  const int64_t N = 1000;
  auto u = (torch::arange(N, torch::kFloat64) + 0.5) / N;
  auto row = spread_logits(1, 12, torch::kFloat64, 0.5);
  auto x = row.expand({N, 12}).contiguous();
  for (const Config& c : {Config{1.0, 0, 1.0}, Config{0.5, 0, 1.0}, Config{1.5, 6, 1.0}}) {
    auto q = torch::softmax(row.squeeze(0) / c.temperature, -1);
    if (c.top_k > 0) q = q * reference::kata::top_k_mask(row, c.top_k).squeeze(0);
    q = q / q.sum();
    auto ids = kata::sample(x, c.temperature, c.top_k, c.top_p, u);
    KATA_ASSERT_OK(diff(ids, torch::zeros({N}, torch::kInt64), "ids (shape and dtype)", describe_case(x, c, u),
                        kata_test::Tolerance{0, 1e9}));
    auto counts = torch::bincount(ids.clamp(0, 11), {}, 12).to(torch::kFloat64);
    KATA_ASSERT_OK(
        diff(counts, q * N,
             fmt::format("how often each token is drawn over u = (i + 0.5) / {} (vs. {} * q, within 1)", N, N),
             describe_case(x, c, u), kata_test::Tolerance{0, 1.0}));
  }
}

TEST(Sampling, EdgeShapes) {
  kata_test::meaning(
      "A single row, a vocabulary of one token, top_k 1 or >= V, a tiny top_p, u = 0 or close to 1, or a large "
      "temperature breaks solutions that squeeze dimensions, index past the last kept token, or assume V > k.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto one = torch::randn({3, 1}, torch::kFloat64).to(dtype);
    auto u3 = torch::rand({3}, torch::kFloat64);
    for (const Config& c : {Config{1.0, 0, 1.0}, Config{0.7, 1, 0.5}, Config{0.0, 0, 1.0}, Config{2.0, 5, 0.3}}) {
      KATA_ASSERT_OK(check_sample(one, c, u3, "ids (V = 1)"));
    }
    KATA_ASSERT_OK(check_top_k(one, 1, "V = 1"));
    KATA_ASSERT_OK(check_top_p(one, 0.5, "V = 1"));
    auto row = spread_logits(1, 7, dtype);
    for (const Config& c :
         {Config{1.0, 0, 1.0}, Config{0.8, 3, 0.9}, Config{1.2, 7, 1.0}, Config{1.2, 10, 1.0}, Config{50.0, 0, 1.0}}) {
      KATA_ASSERT_OK(check_sample(row, c, safe_u(row, c), "ids (B = 1)"));
    }
    auto x = spread_logits(4, 9, dtype);
    KATA_ASSERT_OK(check_sample(x, {1.3, 1, 1.0}, torch::rand({4}, torch::kFloat64), "ids (top_k 1)"));
    KATA_ASSERT_OK(check_sample(x, {1.3, 0, 1e-9}, torch::rand({4}, torch::kFloat64), "ids (top_p 1e-9)"));
    KATA_ASSERT_OK(check_sample(x, {0.9, 4, 0.8}, torch::zeros({4}, torch::kFloat64), "ids (u = 0)"));
    KATA_ASSERT_OK(check_sample(x, {0.9, 4, 1.0}, torch::full({4}, 0.99999, torch::kFloat64), "ids (u = 0.99999)"));
  }
}

TEST(Sampling, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different ids: logits stored transposed or sliced out of wider logits, u with a stride. "
      ".view() or data_ptr indexing assume a memory layout; use tensor ops (or .contiguous() first).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto x = spread_logits(5, 11, dtype);
    Config c{0.9, 6, 0.0};
    c.top_p = safe_top_p(x, c);
    auto u = safe_u(x, c);
    auto u_view = torch::stack({u, torch::rand_like(u)}, 1).select(1, 0);
    KATA_ASSERT_OK(check_sample(x.t().contiguous().t(), x, c, u_view, "ids", "logits stored transposed"));
    auto wide = torch::randn({5, 15}, torch::kFloat64).to(dtype);
    wide.narrow(1, 2, 11).copy_(x);
    KATA_ASSERT_OK(check_sample(wide.narrow(1, 2, 11), x, c, u_view, "ids", "logits sliced from [5, 15]"));
    auto want_k = reference::kata::top_k_mask(x, 4);
    KATA_ASSERT_OK(diff(kata::top_k_mask(x.t().contiguous().t(), 4), want_k, "top_k_mask(logits, k = 4)",
                        "logits stored transposed, " + kata_test::describe({{"logits", x}}), kExact));
    const double p = safe_top_p(x, {1.0, 0, 1.0});
    auto want_p = reference::kata::top_p_mask(x, p);
    KATA_ASSERT_OK(diff(kata::top_p_mask(wide.narrow(1, 2, 11), p), want_p,
                        fmt::format("top_p_mask(logits, p = {})", p),
                        "logits sliced from [5, 15], " + kata_test::describe({{"logits", x}}), kExact));
  }
}

TEST(Sampling, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op such as logits.div_(temperature), masked_fill_ or "
      "sort_ on the logits, or u.mul_): the caller reuses them (the logits are a model's output), so they must "
      "be left as they were.");
  auto x = spread_logits(4, 9, torch::kFloat64);
  auto u = torch::rand({4}, torch::kFloat64);
  auto x0 = x.clone(), u0 = u.clone();
  kata::top_k_mask(x, 3);
  KATA_ASSERT_OK(diff(x, x0, "logits after top_k_mask", kata_test::describe({{"logits", x0}}), kExact));
  kata::top_p_mask(x, 0.5);
  KATA_ASSERT_OK(diff(x, x0, "logits after top_p_mask", kata_test::describe({{"logits", x0}}), kExact));
  Config c{0.7, 5, 0.8};
  kata::sample(x, c.temperature, c.top_k, c.top_p, u);
  KATA_ASSERT_OK(diff(x, x0, "logits after sample", describe_case(x0, c, u0), kExact));
  KATA_ASSERT_OK(diff(u, u0, "u after sample", describe_case(x0, c, u0), kExact));
}

}  // namespace

// Hidden tests for speculative_decoding: the learner's kata::acceptance_probability, kata::residual_distribution
// and kata::speculative_accept against the reference. The two distributions are compared in float64 and float32
// with their gradients; the token ids exactly. The crafted checks use probabilities that are multiples of 1/8
// (exact in float32 and float64) and uniforms on or far from every boundary, so each known mistake changes the
// answer on every seed and rounding never does; the random checks draw uniforms at least 1e-4 away from every
// acceptance probability and every step of the CDF the reference samples from.
//
// Tolerances: the two distributions and their gradients use kata_test::tolerance_for (float64 1e-10; float32
// rtol 1.3e-6, atol 1e-5). Measured: the right solutions in cases/ differ from the reference by exactly 0 in
// outputs and gradients (300 random draws per dtype, V = 6..25, a /tmp program); another ordering of the same
// arithmetic (not measured) would differ by ulps, 1e-16 / 1e-7, far inside. Token ids are compared exactly; the random
// uniforms keep 1e-4 from every boundary, 1000x the float32 rounding of a ratio or a CDF step. The grid property
// (OutputDistributionIsP) has a proven bound 2/N + 1/(2N^2) = 0.0314 for N = 64; the reference's worst
// deviation over 200 random p, q was 0.0108.
#include "kata_test.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "speculative_decoding.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kExact{0, 0};
const double kMargin = 1e-4;

struct Inputs {
  torch::Tensor p, q, draft, u_accept, u_sample;
};

std::string values(const torch::Tensor& t) {
  if (t.dim() == 0) return fmt::format("{:.4g}", t.item<double>());
  std::vector<std::string> parts;
  for (int64_t i = 0; i < t.size(0); ++i) parts.push_back(values(t[i].to(torch::kFloat64)));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

// "p [4, 5, 4] float64, q [...], ..., seed 7", with the values when the tensors are small.
std::string describe_inputs(const Inputs& in, const std::string& note = "") {
  std::string s = note.empty() ? "" : note + ", ";
  if (in.p.numel() <= 40) s += fmt::format("p {}, q {}, draft {}, ", values(in.p), values(in.q), values(in.draft));
  if (in.u_accept.numel() <= 24) s += fmt::format("u_accept {}, u_sample {}, ", values(in.u_accept), values(in.u_sample));
  return s + kata_test::describe({{"p", in.p},
                                  {"q", in.q},
                                  {"draft", in.draft},
                                  {"u_accept", in.u_accept},
                                  {"u_sample", in.u_sample}});
}

torch::Tensor tensor_of(const std::vector<double>& v, std::vector<int64_t> shape, torch::ScalarType dtype) {
  return torch::tensor(v, torch::kFloat64).reshape(shape).to(dtype);
}

// Random distributions: p = softmax(z), q = softmax(z + noise) with a noise scale in [0.5, 1.5] per sequence,
// so the draft agrees with the target often but not always; the draft tokens are drawn from q.
Inputs random_inputs(int64_t B, int64_t k, int64_t V, torch::ScalarType dtype) {
  auto z = torch::randn({B, k + 1, V}, torch::kFloat64) * 1.5;
  auto scale = torch::rand({B, 1, 1}, torch::kFloat64) + 0.5;
  auto p = torch::softmax(z, -1);
  auto q = torch::softmax(z.narrow(1, 0, k) + torch::randn({B, k, V}, torch::kFloat64) * scale, -1);
  auto draft = torch::multinomial(q.reshape({B * k, V}), 1).reshape({B, k});
  Inputs in{p.to(dtype), q.to(dtype), draft, torch::rand({B, k}, torch::kFloat64), torch::rand({B}, torch::kFloat64)};
  // u_accept away from every acceptance probability (computed in float64 from the rounded inputs).
  auto a = reference::kata::acceptance_probability(in.p.to(torch::kFloat64), in.q.to(torch::kFloat64), draft);
  for (int tries = 0; tries < 200; ++tries) {
    auto bad = (in.u_accept - a).abs() <= kMargin;
    if (!bad.any().item<bool>()) break;
    in.u_accept = torch::where(bad, torch::rand_like(in.u_accept), in.u_accept);
  }
  // u_sample away from every step of the CDF the token is drawn from (n depends on u_accept only).
  auto n = std::get<1>(reference::kata::speculative_accept(in.p.to(torch::kFloat64), in.q.to(torch::kFloat64), draft,
                                                           in.u_accept, in.u_sample));
  auto residual = reference::kata::residual_distribution(in.p.to(torch::kFloat64).narrow(1, 0, k),
                                                         in.q.to(torch::kFloat64));
  auto dists = torch::cat({residual, in.p.to(torch::kFloat64).narrow(1, k, 1)}, 1);
  auto cdf = dists.gather(1, n.view({B, 1, 1}).expand({B, 1, V})).squeeze(1).cumsum(-1);
  for (int tries = 0; tries < 200; ++tries) {
    auto bad = (cdf - in.u_sample.unsqueeze(1)).abs().amin(1) <= kMargin;
    if (!bad.any().item<bool>()) break;
    in.u_sample = torch::where(bad, torch::rand_like(in.u_sample), in.u_sample);
  }
  return in;
}

// The learner's {tokens, n_accepted} on `in` against the reference's on `same` (equal values; `in` may hold
// views). The reference runs first, on copies, so a learner that writes into its inputs cannot change it.
std::optional<std::string> check_accept(const Inputs& in, const Inputs& same, const std::string& note = "") {
  auto [want_tokens, want_n] = reference::kata::speculative_accept(
      same.p.clone(), same.q.clone(), same.draft.clone(), same.u_accept.clone(), same.u_sample.clone());
  auto [tokens, n] = kata::speculative_accept(in.p, in.q, in.draft, in.u_accept, in.u_sample);
  const std::string what = describe_inputs(in, note);
  if (auto e = diff(tokens, want_tokens, "tokens [B, k + 1] (-1 after the sampled token)", what, kExact)) return e;
  return diff(n, want_n, "n_accepted [B]", what, kExact);
}
std::optional<std::string> check_accept(const Inputs& in, const std::string& note = "") {
  return check_accept(in, in, note);
}

std::optional<std::string> check_acceptance(const Inputs& in, const std::string& note = "") {
  auto want = reference::kata::acceptance_probability(in.p.clone(), in.q.clone(), in.draft.clone());
  std::string what = note.empty() ? "" : note + ", ";
  if (in.p.numel() <= 40) what += fmt::format("p {}, q {}, draft {}, ", values(in.p), values(in.q), values(in.draft));
  return diff(kata::acceptance_probability(in.p, in.q, in.draft), want, "acceptance_probability(p, q, draft) [B, k]",
              what + kata_test::describe({{"p", in.p}, {"q", in.q}, {"draft", in.draft}}));
}

std::optional<std::string> check_residual(const torch::Tensor& p, const torch::Tensor& q, const std::string& note = "") {
  auto want = reference::kata::residual_distribution(p.clone(), q.clone());
  std::string what = note.empty() ? "" : note + ", ";
  if (p.numel() <= 24) what += fmt::format("p {}, q {}, ", values(p), values(q));
  return diff(kata::residual_distribution(p, q), want, "residual_distribution(p, q)",
              what + kata_test::describe({{"p", p}, {"q", q}}));
}

// Crafted sequences with k = 4, V = 4, one per value of u: at position i the draft drew x_i = i with
// q = 1/2 (and 1/4 at id i + 1, 1/8 at the other two), the target gives every id 1/4, so every acceptance
// probability is exactly 1/2 and the residual at position i is 1/2 on ids i + 2 and i + 3 (mod 4). The bonus
// row p[4] is [1/8, 1/8, 1/4, 1/2].
Inputs crafted_k4(const std::vector<std::vector<double>>& u_accept, const std::vector<double>& u_sample,
                  torch::ScalarType dtype) {
  const int64_t B = static_cast<int64_t>(u_sample.size()), k = 4, V = 4;
  auto q = torch::zeros({k, V}, torch::kFloat64);
  for (int64_t i = 0; i < k; ++i) {
    q[i].fill_(0.125);
    q[i][i] = 0.5;
    q[i][(i + 1) % V] = 0.25;
  }
  auto p = torch::cat({torch::full({k, V}, 0.25, torch::kFloat64),
                       torch::tensor({0.125, 0.125, 0.25, 0.5}, torch::kFloat64).unsqueeze(0)});
  std::vector<double> flat;
  for (const auto& row : u_accept) flat.insert(flat.end(), row.begin(), row.end());
  return {p.expand({B, k + 1, V}).contiguous().to(dtype), q.expand({B, k, V}).contiguous().to(dtype),
          torch::arange(k, torch::kInt64).expand({B, k}).contiguous(), tensor_of(flat, {B, k}, torch::kFloat64),
          tensor_of(u_sample, {B}, torch::kFloat64)};
}

const char* kCraftedNote =
    "every acceptance probability 1/2 (p = 1/4, q = 1/2 at draft[i] = i), residual at position i: 1/2 on ids "
    "(i + 2) % 4 and (i + 3) % 4, bonus row p[4] = [1/8, 1/8, 1/4, 1/2]";

TEST(SpeculativeDecoding, AcceptanceProbability) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "q[x] == 0 with p[x] == 0 gives 0 / 0 = NaN, and min(1, NaN) is NaN. The contract reads q <= p "
                     "as probability 1 (Leviathan et al.: keep the token if q(x) <= p(x)): test q_x <= p_x first, "
                     "and divide by q only where q > 0.");
  kata_test::meaning(
      "The acceptance probability is min(1, p[x] / q[x]): the TARGET's probability of the drafted token over the "
      "DRAFT's, read at x = draft[b, i] in row i of each. A draft that was over-confident (q > p) is accepted "
      "only p / q of the time; q / p would accept most readily exactly the tokens the target dislikes. Where "
      "q[x] <= p[x] (q = 0 included, even with p = 0) it is 1.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Row 0: p/q = 1/2, then p > q, then p == q. Row 1: q = 0 < p, q = p = 0, p = 0 < q.
    Inputs in{tensor_of({0.25, 0.25, 0.25, 0.25, 0.5, 0.125, 0.125, 0.25, 0.125, 0.375, 0.25, 0.25,
                         0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0,
                         0.25, 0.25, 0, 0.5, 0.25, 0.25, 0.25, 0.25},
                        {2, 4, 4}, dtype),
              tensor_of({0.5, 0.25, 0.125, 0.125, 0.25, 0.25, 0.25, 0.25, 0.5, 0.125, 0.25, 0.125,
                         0, 0.25, 0.25, 0.5, 0.25, 0.25, 0, 0.5, 0.125, 0.125, 0.5, 0.25},
                        {2, 3, 4}, dtype),
              torch::tensor({0, 0, 2, 0, 2, 2}, torch::kInt64).reshape({2, 3}), torch::zeros({2, 3}, torch::kFloat64),
              torch::zeros({2}, torch::kFloat64)};
    KATA_ASSERT_OK(check_acceptance(in, "p/q = 1/2, p > q, p == q; q = 0 < p, q = p = 0, p = 0 < q: expected "
                                        "[[0.5, 1, 1], [1, 1, 0]]"));
    for (auto shape : std::vector<std::array<int64_t, 3>>{{3, 4, 6}, {5, 1, 9}, {2, 7, 30}}) {
      KATA_ASSERT_OK(check_acceptance(random_inputs(shape[0], shape[1], shape[2], dtype), "random distributions"));
    }
  }
}

TEST(SpeculativeDecoding, AcceptanceGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "acceptance_probability must stay differentiable in p and q: tensor ops only, no .item(), "
                     ".detach() or values copied out into a new tensor.");
  kata_test::meaning(
      "The gradients of min(1, p[x] / q[x]) differ: 1 / q[x] for p and -p[x] / q[x]^2 for q at the drafted id "
      "where p < q, zero elsewhere (and zero where the probability is clamped to 1).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (auto shape : std::vector<std::array<int64_t, 3>>{{3, 4, 6}, {2, 2, 11}}) {
      auto in = random_inputs(shape[0], shape[1], shape[2], dtype);
      // Each sequence's first drafted token is where q exceeds p most (p[x] < q[x]: not clamped to 1), so
      // the gradient is nonzero on every seed; with random drafts alone, a seed could clamp every position
      // and a solution whose output is 1 without a graph there (right: its gradient is 0) would fail.
      in.draft.select(1, 0).copy_((in.q.select(1, 0) - in.p.select(1, 0)).argmax(-1));
      auto draft = in.draft;
      auto weight = torch::randn({shape[0], shape[1]}, torch::kFloat64).to(dtype);
      auto run = [draft](auto f) {
        return [f, draft](const std::vector<torch::Tensor>& x) { return f(x[0], x[1], draft); };
      };
      KATA_ASSERT_OK(kata_test::backward_diff(
          kata_test::run_backward(run(kata::acceptance_probability), {in.p, in.q}, weight),
          kata_test::run_backward(run(reference::kata::acceptance_probability), {in.p, in.q}, weight), {"p", "q"},
          describe_inputs(in, "acceptance_probability")));
    }
  }
}

TEST(SpeculativeDecoding, ResidualDistribution) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "Where p == q the residual max(0, p - q) is all zeros and dividing by its sum gives 0 / 0 = "
                     "NaN. The contract returns p's row there: divide only where the sum is > 0.");
  kata_test::meaning(
      "The residual is norm(max(0, p - q)): the target's probability mass the draft under-proposed, normalised "
      "to sum 1 over the vocabulary. Not p itself (sampling the correction from p counts the tokens the draft "
      "already got accepted twice), not max(0, q - p), and not left unnormalised (its sum is the rejection "
      "probability, below 1).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto p = tensor_of({0.5, 0.125, 0.25, 0.125, 0, 0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0}, {3, 4}, dtype);
    auto q = tensor_of({0.125, 0.25, 0.125, 0.5, 0.5, 0.25, 0.25, 0, 0.25, 0.25, 0.5, 0}, {3, 4}, dtype);
    KATA_ASSERT_OK(check_residual(p, q, "expected [[0.75, 0, 0.25, 0], [0, 0, 0, 1], p's row where p == q]"));
    for (auto shape : std::vector<std::vector<int64_t>>{{2, 3, 5}, {4, 7}, {6}, {3, 1, 2, 40}}) {
      auto rp = torch::softmax(torch::randn(shape, torch::kFloat64) * 1.5, -1).to(dtype);
      auto rq = torch::softmax(torch::randn(shape, torch::kFloat64) * 1.5, -1).to(dtype);
      KATA_ASSERT_OK(check_residual(rp, rq, "random distributions"));
    }
  }
}

TEST(SpeculativeDecoding, ResidualGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "residual_distribution must stay differentiable in p and q: tensor ops only, no .item() or "
                     ".detach().");
  kata_test::meaning(
      "The gradients of norm(max(0, p - q)) differ: they flow through the normalising sum too, and only from "
      "the ids where p > q.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (auto shape : std::vector<std::vector<int64_t>>{{2, 3, 5}, {4, 9}}) {
      auto p = torch::softmax(torch::randn(shape, torch::kFloat64) * 1.5, -1).to(dtype);
      auto q = torch::softmax(torch::randn(shape, torch::kFloat64) * 1.5, -1).to(dtype);
      auto weight = torch::randn(shape, torch::kFloat64).to(dtype);
      auto run = [](auto f) { return [f](const std::vector<torch::Tensor>& x) { return f(x[0], x[1]); }; };
      KATA_ASSERT_OK(kata_test::backward_diff(
          kata_test::run_backward(run(kata::residual_distribution), {p, q}, weight),
          kata_test::run_backward(run(reference::kata::residual_distribution), {p, q}, weight), {"p", "q"},
          "residual_distribution, " + kata_test::describe({{"p", p}, {"q", q}})));
    }
  }
}

TEST(SpeculativeDecoding, StopsAtFirstRejection) {
  kata_test::meaning(
      "Acceptance stops at the first rejection: the tokens after it were drafted on a prefix that is now "
      "wrong, so they are discarded whatever their u (n_accepted counts the leading acceptances only: a "
      "cumulative product, not a sum). The one token sampled there comes from the residual "
      "norm(max(0, p - q)) at the rejected position, and every position after it is -1.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto in = crafted_k4({{0.1, 0.7, 0.1, 0.1}, {0.7, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.1, 0.9}, {0.1, 0.9, 0.9, 0.1}},
                         {0.3, 0.3, 0.3, 0.8}, dtype);
    KATA_ASSERT_OK(check_accept(in, std::string(kCraftedNote) + ": rejections at positions 1, 0, 3, 1"));
  }
}

TEST(SpeculativeDecoding, AcceptBoundary) {
  kata_test::meaning(
      "A drafted token is accepted iff u < min(1, p / q), strictly: u uniform on [0, 1) then accepts with "
      "probability exactly p / q. With <=, u == p / q accepts, and u = 0 accepts a token whose target "
      "probability is 0, a token the target would never produce.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto in = crafted_k4({{0.5, 0.1, 0.1, 0.1}, {0.1, 0.1, 0.5, 0.1}}, {0.3, 0.3}, dtype);
    KATA_ASSERT_OK(check_accept(in, std::string(kCraftedNote) + ": u_accept exactly 1/2 at one position"));
    // p[x] = 0 < q[x]: probability 0, and u = 0 must still reject; the residual is all on id 1.
    Inputs zero{tensor_of({0, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25}, {1, 2, 4}, dtype),
                tensor_of({0.25, 0.25, 0.25, 0.25}, {1, 1, 4}, dtype), torch::zeros({1, 1}, torch::kInt64),
                torch::zeros({1, 1}, torch::kFloat64), torch::full({1}, 0.5, torch::kFloat64)};
    KATA_ASSERT_OK(check_accept(zero, "p[0, 0, x] = 0, u_accept = 0: rejected, the residual gives id 1"));
  }
}

// One rejected drafted token (k = 1) per row, the distributions given per row as {p[0], p[1], q[0]} with the
// drafted id and the two uniforms.
struct Row {
  std::vector<double> p0, p1, q0;
  int64_t x;
  double u_accept, u_sample;
};
Inputs rows_of(const std::vector<Row>& rows, torch::ScalarType dtype) {
  std::vector<double> p, q, ua, us;
  std::vector<int64_t> x;
  for (const auto& r : rows) {
    p.insert(p.end(), r.p0.begin(), r.p0.end());
    p.insert(p.end(), r.p1.begin(), r.p1.end());
    q.insert(q.end(), r.q0.begin(), r.q0.end());
    x.push_back(r.x);
    ua.push_back(r.u_accept);
    us.push_back(r.u_sample);
  }
  const int64_t B = static_cast<int64_t>(rows.size()), V = static_cast<int64_t>(rows[0].p0.size());
  return {tensor_of(p, {B, 2, V}, dtype), tensor_of(q, {B, 1, V}, dtype), torch::tensor(x).reshape({B, 1}),
          tensor_of(ua, {B, 1}, torch::kFloat64), tensor_of(us, {B}, torch::kFloat64)};
}

TEST(SpeculativeDecoding, InverseCdfInVocabularyOrder) {
  kata_test::meaning(
      "The sampled token is the first id, in vocabulary order 0 .. V-1, whose cumulative probability exceeds u "
      "(strictly: count the ids whose cumsum is <= u, or searchsorted(cdf, u, right=true)), so no u, u = 0 "
      "included, picks a token of probability 0. Walking the ids sorted by probability (as in top-p sampling) "
      "is a valid sampler too, but a different function of u: the contract fixes vocabulary order.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Rows 0-3: p[0] = [1/8, 1/2, 1/8, 1/4], q[0] = [0, 1/4, 5/8, 1/8], x = 2 (probability 1/5, u 0.5 rejects):
    // residual [1/4, 1/2, 0, 1/4], CDF 0.25 0.75 0.75 1 -> ids 0, 1, 3, 1 for u 0, 0.25, 0.75, 0.5.
    // Rows 4-5: p[0] = [0, 1/2, 1/4, 1/4], q[0] uniform, x = 0 (probability 0): residual [0, 1, 0, 0] -> id 1.
    const std::vector<double> p0 = {0.125, 0.5, 0.125, 0.25}, q0 = {0, 0.25, 0.625, 0.125};
    const std::vector<double> p0b = {0, 0.5, 0.25, 0.25}, flat = {0.25, 0.25, 0.25, 0.25};
    auto in = rows_of({{p0, flat, q0, 2, 0.5, 0.0},
                       {p0, flat, q0, 2, 0.5, 0.25},
                       {p0, flat, q0, 2, 0.5, 0.75},
                       {p0, flat, q0, 2, 0.5, 0.5},
                       {p0b, flat, flat, 0, 0.5, 0.0},
                       {p0b, flat, flat, 0, 0.5, 0.5}},
                      dtype);
    KATA_ASSERT_OK(check_accept(in, "every draft rejected; residual CDF 0.25 0.75 0.75 1 (rows 0-3), 0 1 1 1 "
                                    "(rows 4-5): expected ids 0, 1, 3, 1, 1, 1"));
  }
}

TEST(SpeculativeDecoding, BonusToken) {
  kata_test::meaning(
      "When all k drafted tokens are accepted, the target's last row p[b, k] (the position after the last "
      "draft, which the target computed anyway) gives one more token for free: k + 1 tokens, n_accepted = k. "
      "Forgetting it wastes the target's pass; drawing it from p[b, k - 1] samples the wrong position.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Every u_accept below 1/2: all four accepted; the bonus CDF is 0.125 0.25 0.5 1.
    auto in = crafted_k4(std::vector<std::vector<double>>(4, {0.1, 0.3, 0.2, 0.4}), {0.1, 0.2, 0.4, 0.9}, dtype);
    KATA_ASSERT_OK(check_accept(in, std::string(kCraftedNote) + ": all accepted, bonus ids 0, 1, 2, 3"));
    // k = 1, q == p: always accepted, the bonus from p[1] = [1/2, 0, 1/4, 1/4] (CDF 0.5 0.5 0.75 1).
    const std::vector<double> flat = {0.25, 0.25, 0.25, 0.25}, p1 = {0.5, 0, 0.25, 0.25};
    auto one = rows_of({{flat, p1, flat, 1, 0.9, 0.3}, {flat, p1, flat, 3, 0.0, 0.6}, {flat, p1, flat, 0, 0.5, 0.8}},
                       dtype);
    KATA_ASSERT_OK(check_accept(one, "k = 1, q == p: accepted; bonus CDF 0.5 0.5 0.75 1: expected ids 0, 2, 3"));
  }
}

void random_accepts(torch::ScalarType dtype) {
  for (auto shape : std::vector<std::array<int64_t, 3>>{{8, 1, 5}, {8, 4, 10}, {6, 6, 50}, {4, 3, 1000}}) {
    KATA_ASSERT_OK(check_accept(random_inputs(shape[0], shape[1], shape[2], dtype), "random distributions"));
  }
}

TEST(SpeculativeDecoding, AcceptFloat64) {
  kata_test::meaning(
      "The tokens differ on random distributions. Per sequence: accept while u_accept[i] < min(1, p/q) at the "
      "drafted id, stop at the first rejection, then one token by inverse CDF (vocabulary order, first cumsum "
      "> u_sample) from norm(max(0, p - q)) at that position, or from p[k] after k acceptances; -1 after it.");
  random_accepts(torch::kFloat64);
}

TEST(SpeculativeDecoding, AcceptFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "tokens and n_accepted are int64 whatever the dtype of p and q (token ids, like draft).");
  kata_test::meaning("The tokens differ on float32 distributions: the same steps as in float64.");
  random_accepts(torch::kFloat32);
}

TEST(SpeculativeDecoding, OutputDistributionIsP) {
  kata_test::meaning(
      "The point of speculative sampling: the first token it outputs is distributed exactly as the target's "
      "p[0], whatever the draft q. Over every draft x (weighted by q[x]) and a grid of uniforms, your first "
      "tokens are not: the acceptance test, the residual, or the inverse CDF changes the distribution.");
  // k = 1, V = 4; every x in 0..3 with every (u_accept, u_sample) on a 64 x 64 midpoint grid. The grid's
  // frequencies are within 1/(2N) of the acceptance probability and within 1/N of each residual probability,
  // so the weighted frequency of each token is within 1/64 + 1/64 + 1/(2 * 64 * 64) of p[0] (bound 0.032).
  const int64_t V = 4, N = 64;
  const double bound = 1.0 / N + 1.0 / N + 1.0 / (2 * N * N);
  auto p = torch::softmax(torch::randn({2, V}, torch::kFloat64) * 1.2, -1);
  auto q = torch::softmax(torch::randn({1, V}, torch::kFloat64) * 1.2, -1);
  const int64_t B = V * N * N;
  auto grid = (torch::arange(N, torch::kFloat64) + 0.5) / N;
  auto x = torch::arange(V, torch::kInt64).repeat_interleave(N * N);     // (B,)
  auto ua = grid.repeat_interleave(N).repeat({V});                      // (B,)
  auto us = grid.repeat({V * N});                                       // (B,)
  Inputs in{p.unsqueeze(0).expand({B, 2, V}).contiguous(), q.unsqueeze(0).expand({B, 1, V}).contiguous(),
            x.unsqueeze(1), ua.unsqueeze(1), us};
  auto [tokens, n] = kata::speculative_accept(in.p, in.q, in.draft, in.u_accept, in.u_sample);
  const std::string what = fmt::format("p[0] {}, q[0] {}, ", values(p[0]), values(q[0])) +
                           "every draft x with a 64 x 64 grid of (u_accept, u_sample), " + describe_inputs(in);
  KATA_ASSERT_OK(diff(tokens, torch::zeros({B, 2}, torch::kInt64), "tokens (shape and dtype)", what,
                      kata_test::Tolerance{0, 1e9}));
  auto first = tokens.select(1, 0).clamp(0, V - 1);
  auto weight = q[0].index_select(0, x) / double(N * N);  // (B,) q[x] per grid point
  auto freq = torch::zeros({V}, torch::kFloat64).index_add(0, first, weight);
  KATA_ASSERT_OK(diff(freq, p[0],
                      fmt::format("distribution of the first token (vs. p[0], within {:.3f} for the grid)", bound),
                      what, kata_test::Tolerance{0, bound}));
}

TEST(SpeculativeDecoding, EdgeShapes) {
  kata_test::meaning(
      "One sequence, one drafted token, a vocabulary of one or two tokens, or long drafts break solutions that "
      "squeeze dimensions, index p[k] as p[-1] of the wrong axis, or assume k > 1 or V > 1.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Inputs one{torch::ones({2, 2, 1}, dtype), torch::ones({2, 1, 1}, dtype), torch::zeros({2, 1}, torch::kInt64),
               torch::tensor({0.0, 0.999}, torch::kFloat64).reshape({2, 1}), torch::tensor({0.0, 0.999}, torch::kFloat64)};
    KATA_ASSERT_OK(check_accept(one, "V = 1: always accepted, the bonus is id 0"));
    KATA_ASSERT_OK(check_acceptance(one, "V = 1"));
    for (auto shape : std::vector<std::array<int64_t, 3>>{{1, 1, 2}, {1, 1, 7}, {3, 1, 2}, {1, 8, 3}, {2, 12, 6}}) {
      KATA_ASSERT_OK(check_accept(random_inputs(shape[0], shape[1], shape[2], dtype), "random distributions"));
    }
  }
}

TEST(SpeculativeDecoding, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: p and q stored transposed or sliced out of a wider tensor, draft and the "
      "uniforms with a stride. .view() or data_ptr indexing assume a memory layout; use tensor ops (or "
      ".contiguous() first).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto in = random_inputs(5, 3, 7, dtype);
    auto wide_q = torch::rand({5, 3, 10}, torch::kFloat64).to(dtype);
    wide_q.narrow(2, 2, 7).copy_(in.q);
    Inputs view{kata_test::non_contiguous(in.p), wide_q.narrow(2, 2, 7), kata_test::non_contiguous(in.draft),
                kata_test::non_contiguous(in.u_accept), kata_test::non_contiguous(in.u_sample)};
    KATA_ASSERT_OK(check_accept(view, in, "p stored transposed, q sliced from [5, 3, 10], draft and u transposed"));
    auto want_a = reference::kata::acceptance_probability(in.p, in.q, in.draft);
    KATA_ASSERT_OK(diff(kata::acceptance_probability(view.p, view.q, view.draft), want_a,
                        "acceptance_probability(p, q, draft) [B, k]", describe_inputs(view, "views")));
    auto want_r = reference::kata::residual_distribution(in.p.narrow(1, 0, 3), in.q);
    KATA_ASSERT_OK(diff(kata::residual_distribution(view.p.narrow(1, 0, 3), view.q), want_r,
                        "residual_distribution(p[:, :k], q)", describe_inputs(view, "views")));
  }
}

TEST(SpeculativeDecoding, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op such as p.sub_(q), clamp_ or div_ on a view of p, or "
      "u.mul_): the caller reuses them (p and q are the models' outputs, kept for the next step), so they must "
      "be left as they were.");
  auto in = random_inputs(4, 3, 6, torch::kFloat64);
  Inputs before{in.p.clone(), in.q.clone(), in.draft.clone(), in.u_accept.clone(), in.u_sample.clone()};
  const std::string what = describe_inputs(before);
  kata::acceptance_probability(in.p, in.q, in.draft);
  KATA_ASSERT_OK(diff(in.p, before.p, "p after acceptance_probability", what, kExact));
  KATA_ASSERT_OK(diff(in.q, before.q, "q after acceptance_probability", what, kExact));
  kata::residual_distribution(in.p.narrow(1, 0, 3), in.q);
  KATA_ASSERT_OK(diff(in.p, before.p, "p after residual_distribution(p[:, :k], q)", what, kExact));
  KATA_ASSERT_OK(diff(in.q, before.q, "q after residual_distribution(p[:, :k], q)", what, kExact));
  kata::speculative_accept(in.p, in.q, in.draft, in.u_accept, in.u_sample);
  KATA_ASSERT_OK(diff(in.p, before.p, "p after speculative_accept", what, kExact));
  KATA_ASSERT_OK(diff(in.q, before.q, "q after speculative_accept", what, kExact));
  KATA_ASSERT_OK(diff(in.draft, before.draft, "draft after speculative_accept", what, kExact));
  KATA_ASSERT_OK(diff(in.u_accept, before.u_accept, "u_accept after speculative_accept", what, kExact));
  KATA_ASSERT_OK(diff(in.u_sample, before.u_sample, "u_sample after speculative_accept", what, kExact));
}

}  // namespace

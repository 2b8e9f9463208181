// Hidden tests for kmeans: the learner's kata::assign_clusters, kata::update_centroids, kata::kmeans and
// kata::kmeans_plus_plus against the reference. Cluster ids, iteration counts and k-means++ choices are compared
// exactly; centroids within a tolerance. Nothing is differentiable in a useful way (assignments are piecewise
// constant, and the contract asks for no gradients), so no gradient is checked.
//
// Every rule has a crafted check on small integer (or dyadic) data, exact in float32 and float64 whatever the
// formula (direct differences or the ||x||^2 - 2 x.c + ||c||^2 expansion), so each known mistake changes the
// answer on every seed and rounding never does: equal distances for the tie rule, centroid moves of exactly
// 0.625 / 0.5 / 0.3125 for the stop rule, D2 = [0, 1, 1, 2] for the strict inverse CDF. The seeded checks use
// well-separated blobs and keep every decision away from rounding: every point's two nearest centroids differ
// in squared distance by more than 1e-3 relative at every step of the reference's run (float64), every centroid
// move is at least 1e-4 away from tol, and every k-means++ u is at least 1e-4 away from every cumulative sum.
//
// Order matters: the first failed check names the mistake, so the crafted checks of the pieces come first
// (ties, the mean, empty clusters, the iteration count, the stop rule, the final assignments), each one neutral to
// the mistakes of the later ones.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "kmeans.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kExact{0, 0};

// Centroids are means computed in a different order (index_add, a one-hot matmul, loops in double): float64
// solutions differ by ~1e-15; float32 ones by at most ~3e-6 on these data (coordinates up to ~60), measured.
kata_test::Tolerance value_tol(torch::ScalarType dtype) {
  return dtype == torch::kFloat64 ? kata_test::Tolerance{1e-10, 1e-10} : kata_test::Tolerance{1e-5, 1e-5};
}

std::string fmt_value(double v) { return fmt::format("{:.6g}", v); }

// "[[1, 3], [0.5, 2]]" (or "[1, 3]" for one dimension)
std::string values_of(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  if (c.dim() == 1) {
    std::vector<std::string> parts;
    for (int64_t i = 0; i < c.numel(); ++i) parts.push_back(fmt_value(c[i].item<double>()));
    return fmt::format("[{}]", fmt::join(parts, ", "));
  }
  std::vector<std::string> rows;
  for (int64_t i = 0; i < c.size(0); ++i) rows.push_back(values_of(c[i]));
  return fmt::format("[{}]", fmt::join(rows, ", "));
}

// The tensor's values when it is small enough to read, else nothing.
std::string shown(const std::string& name, const torch::Tensor& t) {
  if (t.numel() > 40) return "";
  return fmt::format("{} {}, ", name, values_of(t));
}

std::string join_note(const std::string& note) { return note.empty() ? "" : note + ", "; }

// An integer translation [1, D] (exact in float32 and float64), so crafted data move from seed to seed.
torch::Tensor integer_shift(int64_t D) { return torch::randint(-20, 21, {1, D}, torch::kFloat64); }

// ---------------------------------------------------------------------------------------------------------------
// The pieces.

std::optional<std::string> check_assign(const torch::Tensor& x, const torch::Tensor& c, const std::string& note,
                                        torch::Tensor x_ref = {}, torch::Tensor c_ref = {}) {
  if (!x_ref.defined()) x_ref = x;
  if (!c_ref.defined()) c_ref = c;
  auto want = reference::kata::assign_clusters(x_ref, c_ref);
  return diff(kata::assign_clusters(x, c), want, "assign_clusters(x, centroids)",
              join_note(note) + shown("x", x_ref) + shown("centroids", c_ref) +
                  kata_test::describe({{"x", x}, {"centroids", c}}),
              kExact);
}

std::optional<std::string> check_update(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& c,
                                        const std::string& note, torch::Tensor x_ref = {}, torch::Tensor c_ref = {}) {
  if (!x_ref.defined()) x_ref = x;
  if (!c_ref.defined()) c_ref = c;
  auto want = reference::kata::update_centroids(x_ref, a.clone(), c_ref);
  auto counts = torch::bincount(a, {}, c.size(0));
  return diff(kata::update_centroids(x, a, c), want, "update_centroids(x, assignments, centroids)",
              join_note(note) + "points per cluster " + values_of(counts) + ", " + shown("x", x_ref) +
                  shown("assignments", a) + shown("centroids", c_ref) +
                  kata_test::describe({{"x", x}, {"assignments", a}, {"centroids", c}}),
              value_tol(x.scalar_type()));
}

struct Lloyd {
  int64_t max_iters;
  double tol;
};

std::optional<std::string> check_kmeans(const torch::Tensor& x, const torch::Tensor& init, const Lloyd& r,
                                        const std::string& note, torch::Tensor x_ref = {},
                                        torch::Tensor init_ref = {}) {
  if (!x_ref.defined()) x_ref = x;
  if (!init_ref.defined()) init_ref = init;
  auto want = reference::kata::kmeans(x_ref, init_ref.clone(), r.max_iters, r.tol);
  auto got = kata::kmeans(x, init, r.max_iters, r.tol);
  const std::string c = fmt::format("max_iters {}, tol {}, {}{}{}the reference stops after {} iteration{}, {}",
                                    r.max_iters, r.tol, join_note(note), shown("x", x_ref), shown("init", init_ref),
                                    want.iterations, want.iterations == 1 ? "" : "s",
                                    kata_test::describe({{"x", x}, {"init", init}}));
  if (auto e = diff(got.centroids, want.centroids, "kmeans(...).centroids", c, value_tol(x.scalar_type()))) return e;
  if (auto e = diff(got.assignments, want.assignments, "kmeans(...).assignments", c, kExact)) return e;
  return diff(torch::tensor(got.iterations, torch::kInt64), torch::tensor(want.iterations, torch::kInt64),
              "kmeans(...).iterations", c, kExact);
}

// For each centre, the first row of x it equals, or -1: "rows [3, 0, 7]".
std::string rows_chosen(const torch::Tensor& x, const torch::Tensor& centres) {
  std::vector<std::string> ids;
  if (!centres.defined() || centres.dim() != 2 || centres.size(1) != x.size(1)) return "?";
  auto x64 = x.to(torch::kFloat64), c64 = centres.to(torch::kFloat64);
  for (int64_t j = 0; j < c64.size(0); ++j) {
    auto same = (x64 == c64[j]).all(/*dim=*/1).nonzero();
    ids.push_back(same.numel() ? std::to_string(same[0][0].item<int64_t>()) : "-1");
  }
  return fmt::format("[{}]", fmt::join(ids, ", "));
}

std::optional<std::string> check_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u,
                                           const std::string& note, torch::Tensor x_ref = {}) {
  if (!x_ref.defined()) x_ref = x;
  auto want = reference::kata::kmeans_plus_plus(x_ref, k, u.clone());
  auto got = kata::kmeans_plus_plus(x, k, u);
  const std::string c =
      fmt::format("k {}, u {}, {}{}the reference picks rows {} of x, yours {}, {}", k, values_of(u), join_note(note),
                  shown("x", x_ref), rows_chosen(x_ref, want), rows_chosen(x_ref, got),
                  kata_test::describe({{"x", x}, {"u", u}}));
  return diff(got, want, "kmeans_plus_plus(x, k, u)", c, kExact);
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded data that rounding cannot tip over.

// N points in K blobs [N, D] float64: blob centres at least 8 apart in a box, points within 1.5 per coordinate of
// their centre; every blob has at least one point.
torch::Tensor blobs(int64_t N, int64_t K, int64_t D) {
  const double side = 10.0 * std::pow(static_cast<double>(K), 1.0 / static_cast<double>(D)) + 8.0;
  auto centres = torch::rand({K, D}, torch::kFloat64) * side;
  for (int tries = 0; tries < 500 && K > 1; ++tries) {
    auto d = torch::cdist(centres, centres) + torch::eye(K, torch::kFloat64) * 1e9;
    if (d.min().item<double>() >= 8.0) break;
    centres = torch::rand({K, D}, torch::kFloat64) * side;
  }
  auto labels = torch::cat({torch::arange(std::min(N, K), torch::kInt64),
                            torch::randint(K, {std::max<int64_t>(N - K, 0)}, torch::kInt64)})
                    .index_select(0, torch::randperm(N, torch::kInt64));
  auto noise = (torch::randn({N, D}, torch::kFloat64) * 0.7).clamp(-1.5, 1.5);
  return centres.index_select(0, labels) + noise - side / 2;
}

// Whether every point's nearest centroid beats the second nearest clearly (squared distances, float64).
bool clear_assignment(const torch::Tensor& x, const torch::Tensor& c) {
  if (c.size(0) < 2) return true;
  auto d2 = (x.unsqueeze(1) - c.unsqueeze(0)).pow(2).sum(-1);  // (N, K)
  auto two = std::get<0>(d2.topk(2, /*dim=*/1, /*largest=*/false));
  auto gap = two.select(1, 1) - two.select(1, 0);
  return (gap > 1e-3 * (1.0 + two.select(1, 1))).all().item<bool>();
}

// Whether the reference's run of Lloyd's algorithm on these values (float64) decides nothing by a hair: clear
// assignments at every step (and for the returned centroids), and every centroid move at least 1e-4 from tol.
bool clear_run(const torch::Tensor& x_in, const torch::Tensor& init_in, const Lloyd& r) {
  auto x = x_in.to(torch::kFloat64), c = init_in.to(torch::kFloat64);
  for (int64_t t = 0; t < r.max_iters; ++t) {
    if (!clear_assignment(x, c)) return false;
    auto next = reference::kata::update_centroids(x, reference::kata::assign_clusters(x, c), c);
    const double moved = (next - c).pow(2).sum(-1).sqrt().max().item<double>();
    if (moved != 0.0 && std::abs(moved - r.tol) < 1e-4) return false;  // a move of exactly 0 is exact anywhere
    c = next;
    if (moved <= r.tol) break;
  }
  return clear_assignment(x, c);
}

struct Problem {
  torch::Tensor x, init;  // in the dtype asked for
};

// Blobs and an init of K distinct points of x (several may fall in one blob, so Lloyd's algorithm has work to do),
// redrawn until the run is clear.
Problem clear_problem(int64_t N, int64_t K, int64_t D, const Lloyd& r, torch::ScalarType dtype) {
  Problem p;
  for (int tries = 0; tries < 100; ++tries) {
    p.x = blobs(N, K, D).to(dtype);
    p.init = p.x.index_select(0, torch::randperm(N, torch::kInt64).narrow(0, 0, K));
    if (clear_run(p.x, p.init, r)) return p;
  }
  return p;
}

// u [k] for kmeans_plus_plus(x, k, u): u[0] at least 1e-3 / N from every i / N, every later u[j] at least 1e-4
// from every cumulative sum of its draw (the reference's draws, float64 on x's values).
torch::Tensor clear_u(const torch::Tensor& x_in, int64_t k) {
  auto x = x_in.to(torch::kFloat64);
  const int64_t N = x.size(0);
  std::vector<double> u;
  double u0 = 0.5 / N;
  for (int tries = 0; tries < 100; ++tries) {
    u0 = torch::rand({}, torch::kFloat64).item<double>();
    const double f = u0 * N - std::floor(u0 * N);
    if (f > 1e-3 && f < 1 - 1e-3) break;
  }
  u.push_back(u0);
  const int64_t first = std::min<int64_t>(static_cast<int64_t>(std::floor(u0 * N)), N - 1);
  auto d2 = (x - x[first]).pow(2).sum(-1);
  for (int64_t j = 1; j < k; ++j) {
    auto cdf = (d2 / d2.sum()).cumsum(0);
    double uj = 0.5;
    for (int tries = 0; tries < 200; ++tries) {
      uj = torch::rand({}, torch::kFloat64).item<double>();
      if ((cdf - uj).abs().min().item<double>() > 1e-4) break;
    }
    u.push_back(uj);
    int64_t i = std::min<int64_t>((cdf <= uj).sum().item<int64_t>(), N - 1);
    d2 = torch::minimum(d2, (x - x[i]).pow(2).sum(-1));
  }
  return torch::tensor(u, torch::kFloat64);
}

// ---------------------------------------------------------------------------------------------------------------
// kmeans: the crafted rules first.

TEST(KMeans, AssignTies) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "assign_clusters returns int64 cluster ids (argmin already does; a hand-made tensor needs "
                     "torch::kInt64).");
  kata_test::meaning(
      "A point exactly as near to two centroids goes to the LOWER index. argmin returns the first minimum; a loop "
      "that updates on `d <= best` (or argmax of negated distances after a flip) keeps the last one. The squared "
      "and the plain distance give the same ids, ties included.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Centroids on the corners of a 2 x 2 square and a copy of one of them; points on the edges' midpoints and
    // the centre are equally near two or four centroids, every point is equally near the copy and its original.
    auto c = torch::tensor({0., 0., 2., 0., 0., 2., 2., 2.}, torch::kFloat64).reshape({4, 2});
    c = torch::cat({c, c.index_select(0, torch::randint(4, {1}, torch::kInt64))})  // a duplicate centroid
            .index_select(0, torch::randperm(5, torch::kInt64));
    auto x = torch::tensor({1., 0., 1., 2., 1., 1., 2., 1., 0., 1., 3., 3., 1., -1., -1., -1.}, torch::kFloat64)
                 .reshape({8, 2});
    auto s = integer_shift(2);
    KATA_ASSERT_OK(check_assign((x + s).to(dtype), (c + s).to(dtype), "points equally near 2 or 4 centroids"));
    // Every centroid the same point (an expanded view): every point ties with all of them.
    auto one = torch::randint(-5, 6, {1, 3}, torch::kFloat64).to(dtype);
    auto pts = torch::randint(-5, 6, {6, 3}, torch::kFloat64).to(dtype);
    KATA_ASSERT_OK(check_assign(pts, one.expand({4, 3}), "4 identical centroids (an expanded view)"));
  }
}

void random_assign(torch::ScalarType dtype) {
  for (auto [N, K, D] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{40, 5, 3}, {25, 3, 2}, {60, 8, 4}}) {
    auto x = blobs(N, K, D);
    auto c = x.index_select(0, torch::randperm(N, torch::kInt64).narrow(0, 0, K));
    for (int tries = 0; tries < 50 && !clear_assignment(x, c); ++tries)
      c = x.index_select(0, torch::randperm(N, torch::kInt64).narrow(0, 0, K));
    KATA_ASSERT_OK(check_assign(x.to(dtype), c.to(dtype), "random blobs"));
  }
}

TEST(KMeans, AssignFloat64) {
  kata_test::meaning("The nearest centroid differs on random points: argmin over K of the distance to each centroid.");
  random_assign(torch::kFloat64);
}

TEST(KMeans, AssignFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "assign_clusters returns int64 ids whatever x's dtype.");
  kata_test::meaning("The nearest centroid differs on float32 points: the same rule as in float64.");
  random_assign(torch::kFloat32);
}

TEST(KMeans, UpdateIsTheClusterMean) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "update_centroids returns x's dtype (build sums and counts with x.options()).");
  kata_test::meaning(
      "Row k of the update is the mean of the points assigned to k: their sum divided by HOW MANY POINTS CLUSTER k "
      "HAS, not by N (a one-hot matmul a^T x gives the sums; divide each row by its own count).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Clusters of 6, 4 and 2 points (no cluster empty), in a random order.
    auto a = torch::tensor({0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2}, torch::kInt64)
                 .index_select(0, torch::randperm(12, torch::kInt64));
    auto x = (torch::randn({12, 3}, torch::kFloat64) * 2).to(dtype);
    auto c = (torch::randn({3, 3}, torch::kFloat64) * 2).to(dtype);
    KATA_ASSERT_OK(check_update(x, a, c, "clusters of 6, 4 and 2 points"));
    for (auto [N, K, D] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{30, 4, 2}, {50, 7, 5}, {9, 9, 1}}) {
      auto labels = torch::cat({torch::arange(K, torch::kInt64), torch::randint(K, {N - K}, torch::kInt64)})
                        .index_select(0, torch::randperm(N, torch::kInt64));
      KATA_ASSERT_OK(check_update((torch::randn({N, D}, torch::kFloat64) * 3).to(dtype), labels,
                                  torch::randn({K, D}, torch::kFloat64).to(dtype), "random assignments"));
    }
  }
}

TEST(KMeans, EmptyClusterKeepsItsCentroid) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN rows: an empty cluster's sum 0 divided by its count 0. Divide by counts.clamp_min(1) and "
                     "keep the old centroid where the count is 0: torch::where(counts > 0, means, centroids).");
  kata_test::meaning(
      "A cluster that no point is assigned to keeps its centroid, row k of `centroids` as it was: not NaN (0 / 0), "
      "not zeros (the sum of no points over a count clamped to 1), not re-seeded elsewhere.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // K = 5, clusters 1 and 3 empty.
    auto a = torch::tensor({0, 2, 4, 0, 2, 4, 0, 2}, torch::kInt64).index_select(0, torch::randperm(8, torch::kInt64));
    auto x = (torch::randn({8, 2}, torch::kFloat64) * 2).to(dtype);
    auto c = (torch::randn({5, 2}, torch::kFloat64) * 2 + 1).to(dtype);
    KATA_ASSERT_OK(check_update(x, a, c, "clusters 1 and 3 have no points"));
  }
}

// Two crosses of 4 points (means exactly at their centres, 8 apart) and an init at the centres plus the given
// offsets: the first update moves each centroid by exactly its offset, the second by 0.
Problem crosses(const std::vector<double>& offset0, const std::vector<double>& offset1, torch::ScalarType dtype) {
  auto arm = torch::tensor({1., 0., -1., 0., 0., 1., 0., -1.}, torch::kFloat64).reshape({4, 2});
  auto centres = torch::tensor({0., 0., 8., 0.}, torch::kFloat64).reshape({2, 2});
  auto x = torch::cat({arm + centres[0], arm + centres[1]});
  auto init = centres + torch::tensor({offset0[0], offset0[1], offset1[0], offset1[1]}, torch::kFloat64).reshape({2, 2});
  // A random symmetry of the square (swap the axes, flip their signs), the centroids' order and the points' order,
  // and an integer translation: every distance stays exact.
  auto flip = torch::randint(2, {1, 2}, torch::kInt64).to(torch::kFloat64) * 2 - 1;
  const bool swap = torch::randint(2, {}, torch::kInt64).item<int64_t>() == 1;
  auto transform = [&](torch::Tensor t) {
    t = t * flip;
    return swap ? t.flip(1) : t;
  };
  auto s = integer_shift(2);
  x = transform(x).index_select(0, torch::randperm(8, torch::kInt64)) + s;
  init = transform(init).index_select(0, torch::randperm(2, torch::kInt64)) + s;
  return {x.to(dtype), init.to(dtype)};
}

TEST(KMeans, IterationCount) {
  kata_test::meaning(
      "iterations counts the updates made: the update whose move meets the tolerance counts too (a run that "
      "converges at once reports 1, not 0), max_iters when it never stops, and 0 only when max_iters is 0. A "
      "0-based loop index returned as the count, or counting only the updates that moved, is one short.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // The first update moves the centroids by 2.5 and 2.236, the second by 0: 2 iterations whatever the measure.
    auto p = crosses({1.5, 2.0}, {-1.0, -2.0}, dtype);
    const std::string note = "two crosses of 4 points, init 2.5 and 2.24 from their means";
    KATA_ASSERT_OK(check_kmeans(p.x, p.init, {10, 0.1}, note));
    KATA_ASSERT_OK(check_kmeans(p.x, p.init, {10, 10.0}, note + " (tol larger than any move)"));
    KATA_ASSERT_OK(check_kmeans(p.x, p.init, {1, 0.1}, note + " (max_iters runs out)"));
    KATA_ASSERT_OK(check_kmeans(p.x, p.init, {0, 0.1}, note + " (max_iters 0: init back)"));
    // Already converged: the init is the means, the first update moves nothing and counts.
    auto q = crosses({0.0, 0.0}, {0.0, 0.0}, dtype);
    KATA_ASSERT_OK(check_kmeans(q.x, q.init, {10, 0.1}, "init at the means already"));
  }
}

TEST(KMeans, StopRule) {
  kata_test::meaning(
      "Stop after the update in which no centroid moved MORE than tol: moved = max over k of the Euclidean "
      "distance ||c_new[k] - c[k]||_2, and stop when moved <= tol. Not its square (smaller than the distance below 1, "
      "larger above 1), not the largest single coordinate, not one norm over all centroids together (sqrt of the "
      "sum of every squared move, larger than the largest), and moved == tol stops.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // First moves above 1, where the square is LARGER than the distance: centroid 0 moves by (0.75, 1): 1.25
    // (squared 1.5625, largest coordinate 1), centroid 1 by (0.375, 0.5): 0.625; all together 1.398. tol 1.45
    // tips only the squared measure (and a count one short shows 0, not 2).
    auto big = crosses({0.75, 1.0}, {0.375, 0.5}, dtype);
    KATA_ASSERT_OK(
        check_kmeans(big.x, big.init, {10, 1.45}, "two crosses, the centroids move by 1.25 and 0.625, then 0"));
    // Then moves below 1: centroid 0 moves by (0.375, 0.5): 0.625 (squared 0.390625, largest coordinate 0.5);
    // centroid 1 by (0.1875, 0.25): 0.3125; all together sqrt(0.48828125) = 0.699. Each tol below tips one wrong
    // measure, in this order: squared, largest coordinate, all centroids together, moved < tol.
    auto p = crosses({0.375, 0.5}, {0.1875, 0.25}, dtype);
    const std::string note = "two crosses, the centroids move by 0.625 and 0.3125, then 0";
    for (double tol : {0.4, 0.55, 0.65, 0.625}) KATA_ASSERT_OK(check_kmeans(p.x, p.init, {10, tol}, note));
    for (double tol : {0.3, 1.0, 0.0}) KATA_ASSERT_OK(check_kmeans(p.x, p.init, {10, tol}, note));
  }
}

TEST(KMeans, AssignmentsMatchReturnedCentroids) {
  kata_test::meaning(
      "The returned assignments are assign_clusters(x, returned centroids), computed after the last update. The "
      "ones the last step used were computed BEFORE that update: when max_iters runs out, a point can be nearer to "
      "another of the returned centroids.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // On a line: points 0, 1, 2, 10 and init 0, 3. Step 1 assigns 2 to centroid 1 (at 3), which then moves to 6;
    // against the returned 0.5 and 6, point 2 belongs to centroid 0.
    auto x = torch::tensor({0., 0., 1., 0., 2., 0., 10., 0.}, torch::kFloat64).reshape({4, 2});
    auto init = torch::tensor({0., 0., 3., 0.}, torch::kFloat64).reshape({2, 2});
    auto s = integer_shift(2);
    const std::string note = "points 0, 1, 2, 10 on a line, init 0 and 3";
    KATA_ASSERT_OK(check_kmeans((x + s).to(dtype), (init + s).to(dtype), {1, 0.0}, note));
    KATA_ASSERT_OK(check_kmeans((x + s).to(dtype), (init + s).to(dtype), {2, 0.0}, note));
    KATA_ASSERT_OK(check_kmeans((x + s).to(dtype), (init + s).to(dtype), {10, 0.0}, note));
  }
}

void random_kmeans(torch::ScalarType dtype) {
  struct Shape {
    int64_t N, K, D;
    Lloyd run;
  };
  for (const auto& s : std::vector<Shape>{{40, 4, 2, {50, 1e-3}},
                                          {60, 6, 3, {50, 0.0}},
                                          {30, 3, 5, {2, 1e-3}},
                                          {80, 8, 2, {3, 0.0}},
                                          {50, 5, 4, {50, 0.05}}}) {
    auto p = clear_problem(s.N, s.K, s.D, s.run, dtype);
    KATA_ASSERT_OK(check_kmeans(p.x, p.init, s.run, "random blobs, init at K random points"));
  }
}

TEST(KMeans, KMeansFloat64) {
  kata_test::meaning(
      "kmeans differs on random blobs: repeat assign, update, measure the largest move; stop when it is <= tol "
      "(counting that update) or after max_iters updates; return the last centroids, the assignments to them and "
      "the count.");
  random_kmeans(torch::kFloat64);
}

TEST(KMeans, KMeansFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "kmeans returns centroids in x's dtype and int64 assignments.");
  kata_test::meaning("kmeans differs on float32 blobs: the same steps as in float64.");
  random_kmeans(torch::kFloat32);
}

TEST(KMeans, EdgeShapes) {
  kata_test::meaning(
      "K = 1, K = N, one point, one dimension or more centroids than points break solutions that squeeze a "
      "dimension away, assume every cluster gets points, or index past the end.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto x = (torch::randn({7, 3}, torch::kFloat64) * 2).to(dtype);
    KATA_ASSERT_OK(check_kmeans(x, x.narrow(0, 2, 1).clone(), {10, 0.0}, "K = 1"));
    KATA_ASSERT_OK(check_kmeans(x, x.clone(), {10, 0.0}, "K = N, init = x"));
    KATA_ASSERT_OK(check_kmeans(x.narrow(0, 0, 1).clone(), x.narrow(0, 3, 1).clone(), {5, 0.0}, "N = 1, K = 1"));
    auto far = torch::cat({x.narrow(0, 0, 3), x.narrow(0, 0, 2) + 100.0});
    KATA_ASSERT_OK(check_kmeans(x.narrow(0, 0, 3).clone(), far, {5, 0.0}, "K = 5 > N = 3"));
    // In the loop: a centroid far from every point never gets one and stays where it is.
    auto pts = torch::tensor({0., 0., 1., 0., 0., 1., 1., 1., 10., 10., 11., 10., 10., 11., 11., 11.},
                             torch::kFloat64)
                   .reshape({8, 2});
    auto init = torch::tensor({0., 0., 50., -50., 10., 10.}, torch::kFloat64).reshape({3, 2});
    auto s = integer_shift(2);
    KATA_ASSERT_OK(check_kmeans((pts + s).to(dtype), (init + s).to(dtype), {10, 0.01},
                                "centroid 1 is far from every point"));
    auto line = clear_problem(20, 3, 1, {20, 0.0}, dtype);
    KATA_ASSERT_OK(check_kmeans(line.x, line.init, {20, 0.0}, "D = 1"));
    KATA_ASSERT_OK(check_assign(torch::randint(-5, 6, {1, 3}, torch::kFloat64).to(dtype),
                                torch::randint(-5, 6, {4, 3}, torch::kFloat64).to(dtype), "N = 1, integer values"));
    KATA_ASSERT_OK(check_update(x, torch::zeros({7}, torch::kInt64), x.narrow(0, 0, 1).clone(), "K = 1"));
  }
}

TEST(KMeans, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: x stored transposed, init sliced out of a wider tensor, assignments with a "
      "stride. .view() or data_ptr indexing assume a memory layout; use tensor ops (or .contiguous() first).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    const Lloyd r{30, 1e-3};
    auto p = clear_problem(30, 3, 3, r, dtype);
    auto x_t = p.x.t().contiguous().t();
    auto wide = torch::randn({3, 7}, torch::kFloat64).to(dtype);
    wide.narrow(1, 2, 3).copy_(p.init);
    auto init_view = wide.narrow(1, 2, 3);
    KATA_ASSERT_OK(check_kmeans(x_t, init_view, r, "x stored transposed, init sliced from [3, 7]", p.x, p.init));
    KATA_ASSERT_OK(check_assign(x_t, init_view, "x stored transposed, centroids sliced", p.x, p.init));
    auto a = reference::kata::assign_clusters(p.x, p.init);
    auto a_view = torch::stack({a, torch::zeros_like(a)}, 1).select(1, 0);
    KATA_ASSERT_OK(check_update(x_t, a_view, init_view, "x transposed, assignments strided, centroids sliced", p.x,
                                p.init));
  }
}

TEST(KMeans, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op such as init.copy_(...), centroids.index_put_ or "
      "x.sub_(...)): the caller still owns them (init is often reused for another run), so leave them as they were.");
  const Lloyd r{20, 0.0};
  auto p = clear_problem(25, 3, 2, r, torch::kFloat64);
  auto x0 = p.x.clone(), init0 = p.init.clone();
  auto a = reference::kata::assign_clusters(p.x, p.init);
  auto a0 = a.clone();
  const std::string c = kata_test::describe({{"x", x0}, {"init", init0}});
  kata::assign_clusters(p.x, p.init);
  KATA_ASSERT_OK(diff(p.x, x0, "x after assign_clusters", c, kExact));
  KATA_ASSERT_OK(diff(p.init, init0, "centroids after assign_clusters", c, kExact));
  kata::update_centroids(p.x, a, p.init);
  KATA_ASSERT_OK(diff(p.x, x0, "x after update_centroids", c, kExact));
  KATA_ASSERT_OK(diff(a, a0, "assignments after update_centroids", c, kExact));
  KATA_ASSERT_OK(diff(p.init, init0, "centroids after update_centroids", c, kExact));
  kata::kmeans(p.x, p.init, r.max_iters, r.tol);
  KATA_ASSERT_OK(diff(p.x, x0, "x after kmeans", c, kExact));
  KATA_ASSERT_OK(diff(p.init, init0, "init after kmeans", c, kExact));
  auto u = clear_u(p.x, 3), u0 = u.clone();
  kata::kmeans_plus_plus(p.x, 3, u);
  KATA_ASSERT_OK(diff(p.x, x0, "x after kmeans_plus_plus", c, kExact));
  KATA_ASSERT_OK(diff(u, u0, "u after kmeans_plus_plus", c, kExact));
}

// ---------------------------------------------------------------------------------------------------------------
// kmeans_plus_plus.

// Points on a line (second coordinate 0) at the given positions, shifted by an integer vector.
torch::Tensor on_a_line(const std::vector<double>& positions, torch::ScalarType dtype) {
  auto pos = torch::tensor(positions, torch::kFloat64);
  return (torch::stack({pos, torch::zeros_like(pos)}, 1) + integer_shift(2)).to(dtype);
}

TEST(KMeansPlusPlus, FirstCentre) {
  kata_test::meaning(
      "The first centre is uniform over the N points by the inverse CDF: row floor(u[0] * N) (the first i with "
      "(i + 1) / N > u[0]). Scaling by N - 1 (floor(u[0] * (N - 1))) never picks the last point and shifts "
      "the others; the first centre is not fixed at row 0.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto x = on_a_line({0, 3, 1, 7, 4, 9, 2, 8, 6, 5}, dtype);
    for (double u0 : {0.95, 0.35, 0.05, 0.72}) KATA_ASSERT_OK(check_plus_plus(x, 1, torch::tensor({u0}, torch::kFloat64), "N = 10"));
    auto r = (torch::randn({13, 3}, torch::kFloat64) * 2).to(dtype);
    KATA_ASSERT_OK(check_plus_plus(r, 1, clear_u(r, 1), "random points"));
  }
}

TEST(KMeansPlusPlus, DrawBySquaredDistance) {
  kata_test::meaning(
      "Centre j >= 1 is drawn with probability proportional to D2, the SQUARED distance to the nearest chosen "
      "centre, by the inverse CDF: the first index whose cumulative sum of D2 / sum(D2) exceeds u[j]. The plain "
      "distance weights far points too little; taking the farthest point ignores u altogether.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Positions 0, 1, 2, 3, 10; the first centre is row 0. D2 = [0, 1, 4, 9, 100]: cumulative 0, 0.0088, 0.044,
    // 0.123, 1. The plain distance gives 0, 0.0625, 0.1875, 0.375, 1; the farthest point is row 4.
    auto x = on_a_line({0, 1, 2, 3, 10}, dtype);
    const std::string note = "points at 0, 1, 2, 3, 10 on a line";
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.005}, torch::kFloat64), note));
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.3}, torch::kFloat64), note));
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.1}, torch::kFloat64), note));
  }
}

TEST(KMeansPlusPlus, NearestChosenCentre) {
  kata_test::meaning(
      "D2 is the squared distance to the NEAREST of the centres chosen so far: keep d2 = minimum(d2, distance to "
      "the new centre) after every pick. The distance to the last centre alone gives the earlier centres (and "
      "their neighbours) mass again, so they can be drawn twice.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Positions 0, 1, 2, 3, 10, 11: rows 0 then 4 are chosen; then D2 = [0, 1, 4, 9, 0, 1] (cumulative 0, 0.067,
    // 0.333, 0.933, 0.933, 1). To row 4 alone it would be [100, 81, 64, 49, 0, 1].
    auto x = on_a_line({0, 1, 2, 3, 10, 11}, dtype);
    const std::string note = "points at 0, 1, 2, 3, 10, 11 on a line";
    KATA_ASSERT_OK(check_plus_plus(x, 3, torch::tensor({0.1, 0.3, 0.2}, torch::kFloat64), note));
    KATA_ASSERT_OK(check_plus_plus(x, 3, torch::tensor({0.1, 0.3, 0.5}, torch::kFloat64), note));
    KATA_ASSERT_OK(check_plus_plus(x, 4, torch::tensor({0.1, 0.3, 0.5, 0.6}, torch::kFloat64), note));
  }
}

TEST(KMeansPlusPlus, ChosenPointsAreNeverDrawn) {
  kata_test::meaning(
      "The draw takes the first index whose cumulative sum is STRICTLY greater than u[j]. A chosen point has D2 = "
      "0, so its cumulative sum equals the one before it: with `>=` (or searchsorted's left side) u[j] = 0 draws "
      "row 0 again although it is already a centre, and u[j] equal to a cumulative sum picks the point before the "
      "right one.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // The corners of a unit square; the first centre is row 0: D2 = [0, 1, 1, 2], cumulative 0, 0.25, 0.5, 1.
    auto x = (torch::tensor({0., 0., 1., 0., 0., 1., 1., 1.}, torch::kFloat64).reshape({4, 2}) + integer_shift(2))
                 .to(dtype);
    const std::string note = "the corners of a unit square, D2 = [0, 1, 1, 2] after row 0";
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.0}, torch::kFloat64), note + ", u[1] = 0"));
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.25}, torch::kFloat64), note + ", u[1] = 0.25"));
    KATA_ASSERT_OK(check_plus_plus(x, 2, torch::tensor({0.1, 0.5}, torch::kFloat64), note + ", u[1] = 0.5"));
    KATA_ASSERT_OK(check_plus_plus(x, 4, torch::tensor({0.1, 0.0, 0.0, 0.0}, torch::kFloat64), note + ", u = 0"));
  }
}

void random_plus_plus(torch::ScalarType dtype) {
  for (auto [N, k, D] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{20, 4, 2}, {50, 8, 3}, {35, 5, 5}}) {
    auto x = (torch::randn({N, D}, torch::kFloat64) * 3).to(dtype);
    KATA_ASSERT_OK(check_plus_plus(x, k, clear_u(x, k), "random points"));
  }
  auto b = blobs(60, 6, 2).to(dtype);
  KATA_ASSERT_OK(check_plus_plus(b, 6, clear_u(b, 6), "random blobs"));
}

TEST(KMeansPlusPlus, SeedFloat64) {
  kata_test::meaning(
      "The centres differ on random points: first x[floor(u[0] * N)], then each x[i] with i the first index whose "
      "cumulative D2 / sum(D2) exceeds u[j], D2 the squared distance to the nearest chosen centre.");
  random_plus_plus(torch::kFloat64);
}

TEST(KMeansPlusPlus, SeedFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "kmeans_plus_plus returns rows of x, in x's dtype.");
  kata_test::meaning("The centres differ on float32 points: the same draws as in float64.");
  random_plus_plus(torch::kFloat32);
}

TEST(KMeansPlusPlus, EdgeShapesAndViews) {
  kata_test::meaning(
      "k = 1, k = N (the last draw has one point left with D2 > 0), one point, one dimension, x stored transposed "
      "or u with a stride break solutions that squeeze, index past the end, or assume a memory layout.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto x = (torch::randn({6, 3}, torch::kFloat64) * 2).to(dtype);
    KATA_ASSERT_OK(check_plus_plus(x, 6, clear_u(x, 6), "k = N = 6"));
    KATA_ASSERT_OK(check_plus_plus(x.narrow(0, 0, 1).clone(), 1, torch::tensor({0.6}, torch::kFloat64), "N = 1"));
    auto line = (torch::randn({9, 1}, torch::kFloat64) * 4).to(dtype);
    KATA_ASSERT_OK(check_plus_plus(line, 4, clear_u(line, 4), "D = 1"));
    auto r = (torch::randn({15, 4}, torch::kFloat64) * 2).to(dtype);
    auto u = clear_u(r, 5);
    auto u_view = torch::stack({u, torch::rand_like(u)}, 1).select(1, 0);
    KATA_ASSERT_OK(check_plus_plus(r.t().contiguous().t(), 5, u_view, "x stored transposed, u strided", r));
  }
}

}  // namespace

// Hidden tests for cross_entropy: the learner's kata::cross_entropy against the reference (and against
// LibTorch's own torch::nn::functional::cross_entropy) with and without ignored rows and label smoothing, its
// gradients w.r.t. the logits, ignore_index values other than -100, a batch with every row ignored (NaN),
// logits in the thousands, edge shapes, views, the loss's own properties and inputs left unchanged.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "cross_entropy.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

namespace F = torch::nn::functional;
using kata_test::diff;

struct Case {
  int64_t n, c;     // logits [n, c]
  double eps;       // label_smoothing
  int64_t ignored;  // how many rows have target ignore_index
  int64_t ignore_index = -100;
};

struct Inputs {
  torch::Tensor logits, targets;
};

// Targets: ignore_index on `ignored` rows at random positions, a class other than ignore_index elsewhere (so
// exactly that many rows are ignored, also when ignore_index is a class such as 0).
torch::Tensor random_targets(const Case& k) {
  torch::Tensor t;
  if (k.ignore_index >= 0 && k.ignore_index < k.c) {
    t = torch::randint(0, k.c - 1, {k.n}, torch::kInt64);
    t = t + (t >= k.ignore_index).to(torch::kInt64);
  } else {
    t = torch::randint(0, k.c, {k.n}, torch::kInt64);
  }
  auto rows = torch::randperm(k.n, torch::kInt64);
  // One kept row has class 0, so that a mask built from the targets themselves (targets > 0) always shows.
  if (k.n > k.ignored && k.ignore_index != 0) t.index_fill_(0, rows.narrow(0, k.ignored, 1), 0);
  t.index_fill_(0, rows.narrow(0, 0, k.ignored), k.ignore_index);
  return t;
}

Inputs random_inputs(const Case& k, torch::ScalarType dtype) {
  return {torch::randn({k.n, k.c}, torch::TensorOptions().dtype(dtype)) * 3, random_targets(k)};
}

// "label_smoothing 0.1, ignore_index -100 (3 of 9 rows ignored), logits [9, 6] float64, targets [9] int64, seed 7"
std::string describe_case(const Inputs& in, const Case& k) {
  return fmt::format("label_smoothing {}, ignore_index {} ({} of {} rows ignored), {}", k.eps, k.ignore_index,
                     k.ignored, k.n, kata_test::describe({{"logits", in.logits}, {"targets", in.targets}}));
}

torch::Tensor learner(const Inputs& in, const Case& k) {
  return kata::cross_entropy(in.logits, in.targets, k.eps, k.ignore_index);
}
torch::Tensor expected(const Inputs& in, const Case& k) {
  return reference::kata::cross_entropy(in.logits, in.targets, k.eps, k.ignore_index);
}

// The learner's loss on `in` against the reference's on `same` (the same values; `in` may be views). The
// reference runs first, so a learner that writes into its inputs cannot change what it is compared with.
std::optional<std::string> check_loss(const Inputs& in, const Inputs& same, const Case& k,
                                      std::optional<kata_test::Tolerance> tol = {}) {
  auto want = expected(same, k);
  return diff(learner(in, k), want, "loss", describe_case(in, k), tol);
}
std::optional<std::string> check_loss(const Inputs& in, const Case& k) { return check_loss(in, in, k); }

// Output, then the gradient w.r.t. logits of a random positive multiple of the loss, against the reference's.
std::optional<std::string> check_backward(const Inputs& in, const Case& k,
                                          std::optional<kata_test::Tolerance> tol = {}) {
  auto weight = torch::rand({}, in.logits.options()) + 0.5;
  auto run = [&k](auto loss) {
    return [loss, &k](const std::vector<torch::Tensor>& t) { return loss(t[0], t[1], k.eps, k.ignore_index); };
  };
  auto want = kata_test::run_backward(run(reference::kata::cross_entropy), {in.logits, in.targets}, weight);
  auto got = kata_test::run_backward(run(kata::cross_entropy), {in.logits, in.targets}, weight);
  return kata_test::backward_diff(got, want, {"logits", "targets"}, describe_case(in, k), tol);
}

// In this order each known mistake shows first on a different case: plain rows; ignored rows (the mean is over
// the kept rows only); smoothing (eps / C on every class); smoothing and ignored rows together (ignored rows
// drop out of the smoothing term too); eps = 1 (a uniform target); then larger mixes. At least 2 rows are kept
// in every case, so a sum is never a mean.
const std::vector<Case> kCases = {{6, 5, 0.0, 0}, {8, 7, 0.0, 2},    {7, 4, 0.1, 0},   {9, 6, 0.1, 3},
                                  {5, 3, 1.0, 1}, {12, 10, 0.25, 4}, {16, 2, 0.05, 5}, {4, 33, 0.6, 2}};

TEST(CrossEntropy, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Keep the logits' dtype throughout: a constant or a buffer made in float32 (torch::zeros "
                     "without options, a float literal tensor) rounds a float64 run.");
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf with ordinary logits: 0 * log(0) is NaN, not 0 (a KL-style q * log q term, or "
                     "the log of a target probability that is 0 when eps = 0), and so is 0 * inf from an ignored "
                     "row multiplied by a 0 mask; use -sum(q * log p) only, and drop ignored rows with "
                     "where/masked_select.");
  kata_test::meaning(
      "The loss differs. Per kept row: loss = (1 - eps) * -log p[target] + (eps / C) * -sum over all C classes of "
      "log p, with log p the row's log-softmax (over dim 1, the classes); the result is the mean over the rows "
      "whose target is not ignore_index (divide by their count, not by N).");
  for (const auto& k : kCases) KATA_ASSERT_OK(check_loss(random_inputs(k, torch::kFloat64), k));
}

TEST(CrossEntropy, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 logits give a float32 loss: build constants and buffers with logits.options(); "
                     "dividing by the int64 count of kept rows keeps the logits' dtype, dividing by a float64 "
                     "tensor does not.");
  kata_test::meaning("float32 logits must give the same loss, in float32.");
  for (const auto& k : kCases) KATA_ASSERT_OK(check_loss(random_inputs(k, torch::kFloat32), k));
}

TEST(CrossEntropy, GradientsLogits) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The loss must be differentiable w.r.t. logits: build it from tensor ops, with no .item(), "
                     ".detach() of the logits, NoGradGuard, or a result rebuilt from a C++ number "
                     "(torch::tensor(total / count)).");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The loss matches but its gradient does not: d loss / d logits[i] = (softmax(logits[i]) - "
                     "q[i]) / kept rows for a kept row (q the smoothed target), 0 for an ignored one. Look for an "
                     "in-place write into a tensor autograd saved, or part of the loss computed outside autograd.");
  kata_test::meaning("The gradient w.r.t. logits differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32})
    for (const auto& k : kCases) KATA_ASSERT_OK(check_backward(random_inputs(k, dtype), k));
}

TEST(CrossEntropy, IgnoreIndexAnyValue) {
  kata_test::meaning(
      "ignore_index is an argument: rows whose target equals it are ignored whatever its value. Here it is 0 (a "
      "real class, used for padding), the last class, a value past the classes, or -1: a mask built from a fixed "
      "value (targets != -100, targets >= 0) keeps rows it should drop. Build keep = targets != ignore_index.");
  for (const auto& k : std::vector<Case>{
           {8, 5, 0.0, 3, 0}, {8, 5, 0.1, 2, 0}, {7, 4, 0.2, 2, 3}, {9, 6, 0.1, 3, 11}, {6, 3, 0.0, 2, -1}})
    KATA_ASSERT_OK(check_loss(random_inputs(k, torch::kFloat64), k));
}

TEST(CrossEntropy, AllTargetsIgnored) {
  kata_test::meaning(
      "With every row ignored there is nothing to average: PyTorch returns 0 / 0 = NaN, and "
      "the contract asks for the same. A guard such as max(count, 1) returns 0 instead, which hides a batch of "
      "pure padding from whoever reads the loss.");
  // First the batch with two of its four rows kept, then with all four ignored, then in other forms.
  for (const auto& k :
       std::vector<Case>{{4, 5, 0.0, 2}, {4, 5, 0.0, 4}, {3, 4, 0.1, 3}, {5, 3, 1.0, 5, 0}, {1, 2, 0.0, 1}})
    KATA_ASSERT_OK(check_loss(random_inputs(k, torch::kFloat64), k));
}

// Logits in the thousands, in three kinds, each of which one shortcut cannot survive:
//   'A' every logit near +1000: exp() overflows (above ~709 in float64, ~88 in float32) unless the row max
//       is subtracted first;
//   'B' rows alternately near +2000 and -2000: one max for the whole tensor leaves exp() of the low rows at 0,
//       so their log-sum-exp is log(0) = -inf; it takes each row's own max;
//   'C' every row's target logit 1000 below its row's max: softmax there underflows to 0 and log(softmax) is
//       -inf; only log-softmax computed as x - max - log(sum exp(x - max)) stays finite.
Inputs large_inputs(char kind, const Case& k, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  auto targets = random_targets(k);
  auto logits = torch::randn({k.n, k.c}, opts) * 3;
  if (kind == 'A') logits = logits + 1000;
  if (kind == 'B') logits = logits + (torch::arange(k.n, opts).remainder(2) * -4000 + 2000).unsqueeze(1);
  if (kind == 'C') {
    logits = logits * 100 + (torch::rand({k.n, 1}, opts) * 4000 - 2000);
    // The target's logit, 1000 to 1500 below the largest of the other classes.
    auto safe = targets.masked_fill(targets == k.ignore_index, 0).unsqueeze(1);
    logits.scatter_(/*dim=*/1, safe, -std::numeric_limits<double>::infinity());
    auto low = std::get<0>(logits.max(/*dim=*/1, /*keepdim=*/true)) - 1000 - torch::rand({k.n, 1}, opts) * 500;
    logits.scatter_(/*dim=*/1, safe, low);
  }
  return {logits, targets};
}

TEST(CrossEntropy, LargeLogits) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "inf or NaN with large logits: exp(x) overflowed (no max subtracted), a row's exp() all "
                     "underflowed to 0 (one max for the whole tensor instead of each row's), or log(softmax(x)) hit "
                     "log(0) = -inf for a probability below ~1e-308. Compute log p = (x - m) - log(sum exp(x - m)) "
                     "with m each row's max, never log of a probability.");
  kata_test::meaning("With logits in the thousands the loss or its gradient differs: the log-softmax loses accuracy.");
  // float32 rounds logits near 2000 to 1.2e-4, and a correct formulation that sums them (lse - mean of x for
  // the smoothing term) carries that into the loss; an overflow gives inf or NaN, which no tolerance accepts.
  const kata_test::Tolerance loose_float32{1e-5, 2e-3};
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (char kind : {'A', 'B', 'C'}) {
      for (const auto& k : std::vector<Case>{{6, 5, 0.0, 1}, {6, 5, 0.1, 2}}) {
        auto tol = dtype == torch::kFloat32 ? std::optional<kata_test::Tolerance>(loose_float32) : std::nullopt;
        KATA_ASSERT_OK(check_backward(large_inputs(kind, k, dtype), k, tol));
      }
    }
  }
}

TEST(CrossEntropy, EdgeShapes) {
  kata_test::meaning(
      "A single class (log p = 0, so the loss is 0 for any eps), a single row, one kept row, two classes or many "
      "classes break solutions that squeeze dimensions, divide by C - 1, or assume N > 1.");
  for (const auto& k : std::vector<Case>{{1, 1, 0.0, 0},
                                         {3, 1, 0.2, 1},
                                         {1, 6, 0.0, 0},
                                         {1, 6, 0.3, 0},
                                         {3, 4, 0.1, 2},
                                         {5, 2, 1.0, 1},
                                         {3, 3000, 0.1, 1}})
    KATA_ASSERT_OK(check_loss(random_inputs(k, torch::kFloat64), k));
}

TEST(CrossEntropy, NonContiguousInputs) {
  kata_test::meaning(
      "logits or targets as views (logits stored transposed as [C, N], or a slice of wider logits; targets with a "
      "stride) give another loss: .view() or data_ptr indexing assume a memory layout; use tensor ops, reshape "
      "or .contiguous().");
  for (const auto& k : kCases) {
    auto in = random_inputs(k, torch::kFloat64);
    Inputs transposed{in.logits.t().contiguous().t(), kata_test::non_contiguous(in.targets)};
    KATA_ASSERT_OK(check_loss(transposed, in, k));
    auto wide = torch::randn({k.n, k.c + 3}, torch::kFloat64);
    wide.narrow(1, 2, k.c).copy_(in.logits);
    Inputs sliced{wide.narrow(1, 2, k.c), in.targets};
    KATA_ASSERT_OK(check_loss(sliced, in, k));
  }
}

TEST(CrossEntropy, MatchesLibTorch) {
  kata_test::meaning(
      "Yours differs from torch::nn::functional::cross_entropy itself (reduction mean, no class weights), which "
      "this exercise reproduces: smoothing target (1 - eps) one-hot + eps / C on all C classes, ignored rows "
      "out of both terms and out of the count.");
  for (const auto& k : std::vector<Case>{{8, 6, 0.1, 2}, {7, 5, 0.0, 2, 3}, {5, 4, 0.3, 1, -1}, {10, 3, 1.0, 4, 0}}) {
    auto in = random_inputs(k, torch::kFloat64);
    auto want = F::cross_entropy(in.logits, in.targets,
                                 F::CrossEntropyFuncOptions().label_smoothing(k.eps).ignore_index(k.ignore_index));
    KATA_ASSERT_OK(
        diff(learner(in, k), want, "loss against torch::nn::functional::cross_entropy", describe_case(in, k)));
  }
}

TEST(CrossEntropy, LossProperties) {
  kata_test::meaning(
      "A property of cross-entropy fails (each compared with your own loss): adding a constant to a row of "
      "logits leaves its softmax, and so the loss, unchanged; the loss is linear in eps, (1 - eps) * loss(0) + "
      "eps * loss(1); equal logits in every row give log(C) for any eps.");
  for (const auto& k : std::vector<Case>{{7, 5, 0.2, 2}, {6, 8, 0.7, 1}}) {
    auto in = random_inputs(k, torch::kFloat64);
    // Each call gets its own copy of the targets, so a function that writes into them fails InputsUnchanged,
    // not this check.
    auto own = [&](const torch::Tensor& logits, const Case& c) { return learner({logits, in.targets.clone()}, c); };
    auto loss = own(in.logits, k);
    Inputs shifted{in.logits + torch::randn({k.n, 1}, torch::kFloat64) * 100, in.targets};
    KATA_ASSERT_OK(diff(own(shifted.logits, k), loss,
                        "loss after adding a constant to each row of logits (vs. yours before)",
                        describe_case(shifted, k)));
    Case zero = k, one = k;
    zero.eps = 0.0;
    one.eps = 1.0;
    KATA_ASSERT_OK(
        diff(loss, (1 - k.eps) * own(in.logits, zero) + k.eps * own(in.logits, one),
             fmt::format("loss at eps {} (vs. (1 - eps) * your loss at eps 0 + eps * yours at eps 1)", k.eps),
             describe_case(in, k)));
    Inputs flat{torch::randn({k.n, 1}, torch::kFloat64).expand({k.n, k.c}).contiguous(), in.targets};
    KATA_ASSERT_OK(diff(own(flat.logits, k), torch::scalar_tensor(std::log(static_cast<double>(k.c)), torch::kFloat64),
                        fmt::format("loss with equal logits in each row (log C = log {})", k.c),
                        describe_case(flat, k)));
  }
}

TEST(CrossEntropy, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into logits or targets (an in-place op such as targets.masked_fill_ to make ignored "
      "rows gatherable, or logits.sub_ for the max): the caller reuses both, so they must be left as they were. "
      "Use the out-of-place versions (masked_fill, sub).");
  Case k{9, 6, 0.1, 3};
  auto in = random_inputs(k, torch::kFloat64);
  Inputs copy{in.logits.clone(), in.targets.clone()};
  learner(in, k);
  KATA_ASSERT_OK(
      diff(in.logits, copy.logits, "logits after the call", describe_case(copy, k), kata_test::Tolerance{0, 0}));
  KATA_ASSERT_OK(
      diff(in.targets, copy.targets, "targets after the call", describe_case(copy, k), kata_test::Tolerance{0, 0}));
}

}  // namespace

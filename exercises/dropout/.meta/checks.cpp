// Hidden tests for dropout. The mask is the learner's own draw from the seeded generator, so training mode is
// judged by structure and statistics rather than against the reference's values: every output is 0 or
// x / (1 - p), the gradient follows the same mask, the fraction dropped is p within 6 standard deviations (a
// false alarm once in ~10^9 runs), masks differ across rows and columns, and one seed always gives one output.
// (The reference is judged like any solution: kata dev check requires it accepted.)
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "dropout.h"

namespace {

using kata_test::diff;

// Values away from zero, so a dropped element (0) never looks like a kept one.
torch::Tensor nonzero_x(const std::vector<int64_t>& shape, torch::ScalarType dtype = torch::kFloat64) {
  auto x = torch::randn(shape, torch::TensorOptions().dtype(dtype));
  return x + 0.5 * x.sign() + (x == 0).to(dtype);
}

int64_t random_seed() { return torch::randint(1, 1 << 30, {1}).item<int64_t>(); }

std::string describe_case(const torch::Tensor& x, double p, bool training, int64_t seed) {
  return fmt::format("{}, p {}, training {}, seed {}", kata_test::describe({{"x", x}}), p, training, seed);
}

// What the output says was kept (nonzero), as x's dtype, 1 or 0.
torch::Tensor kept(const torch::Tensor& out) { return (out != 0).to(out.scalar_type()); }

// Every output must be 0 or x / (1 - p), in x's shape and dtype. Recorded as a property (the mask is random),
// with the first offending element in the message.
std::optional<std::string> structure(const torch::Tensor& out, const torch::Tensor& x, double p,
                                     const std::string& case_desc) {
  const std::string what = "each output 0 or x / (1 - p)";
  if (!out.defined() || out.sizes() != x.sizes() || out.scalar_type() != x.scalar_type())
    return kata_test::property(false, what,
                               fmt::format("output: {}, expected {} {}\ncase: {}",
                                           out.defined() ? kata_test::describe("", out) : "undefined",
                                           kata_test::shape_of(x), kata_test::dtype_name(x.scalar_type()), case_desc));
  auto scaled = x / (1.0 - p);
  auto tol = kata_test::tolerance_for(x.scalar_type());
  auto ok = (out == 0) | ((out - scaled).abs() <= tol.atol + tol.rtol * scaled.abs());
  if (ok.all().item<bool>()) return kata_test::property(true, what, "");
  auto bad = (~ok).reshape({-1}).nonzero()[0].item<int64_t>();
  return kata_test::property(
      false, what,
      fmt::format("output: {} of {} elements are neither 0 nor x / (1 - p); e.g. element {}: x = {:.6g}, got "
                  "{:.6g}, expected 0 or {:.6g}\ncase: {}",
                  (~ok).sum().item<int64_t>(), x.numel(), bad, x.reshape({-1})[bad].item<double>(),
                  out.reshape({-1})[bad].item<double>(), scaled.reshape({-1})[bad].item<double>(), case_desc));
}

TEST(Dropout, EvalIsIdentity) {
  kata_test::meaning(
      "With training false dropout is the identity: no element dropped and no scaling (the 1 / (1 - p) was "
      "already applied during training, which is the point of inverted dropout).");
  for (double p : {0.0, 0.3, 0.8, 1.0}) {
    auto x = nonzero_x({4, 7});
    const int64_t seed = random_seed();
    KATA_ASSERT_OK(diff(kata::dropout(x, p, false, seed), x, "output in evaluation", describe_case(x, p, false, seed)));
  }
}

TEST(Dropout, KeptValuesScaled) {
  kata_test::meaning(
      "In training every output must be 0 (dropped) or x / (1 - p) (kept): inverted dropout divides the survivors "
      "by the keep probability 1 - p, so that the expected output is x and evaluation needs no scaling.");
  for (double p : {0.1, 0.3, 0.8}) {
    auto x = nonzero_x({6, 50});
    const int64_t seed = random_seed();
    KATA_ASSERT_OK(structure(kata::dropout(x, p, true, seed), x, p, describe_case(x, p, true, seed)));
  }
}

TEST(Dropout, DropRate) {
  kata_test::meaning(
      "The fraction of elements dropped must be p: zero an element when its uniform draw is below p (or draw "
      "bernoulli with probability 1 - p of keeping); the keep probability is 1 - p, not p.");
  const int64_t n = 200000;
  for (double p : {0.1, 0.3, 0.8}) {
    auto x = nonzero_x({400, n / 400});
    const int64_t seed = random_seed();
    auto out = kata::dropout(x, p, true, seed);
    KATA_ASSERT_OK(structure(out, x, p, describe_case(x, p, true, seed)));
    const double dropped = 1.0 - kept(out).mean().item<double>();
    const double bound = 6 * std::sqrt(p * (1 - p) / n);
    KATA_ASSERT_OK(kata_test::property(
        std::abs(dropped - p) <= bound, fmt::format("fraction dropped within {:.4f} of p", bound),
        fmt::format("dropped {:.4f} of the elements, expected p = {} (within {:.4f})\ncase: {}", dropped, p, bound,
                    describe_case(x, p, true, seed))));
  }
}

TEST(Dropout, IndependentMasks) {
  kata_test::meaning(
      "Each element needs its own draw: a mask drawn once per feature and broadcast over the batch (or once per "
      "row) drops the same features for every example, which is not dropout.");
  auto x = nonzero_x({64, 48});
  const double p = 0.5;
  const int64_t seed = random_seed();
  auto out = kata::dropout(x, p, true, seed);
  KATA_ASSERT_OK(structure(out, x, p, describe_case(x, p, true, seed)));
  auto mask = kept(out);
  // Two rows (or columns) of 48 (or 64) independent fair draws agree everywhere with probability 2^-48: never.
  auto rows_all_equal = (mask == mask[0].unsqueeze(0)).all().item<bool>();
  auto cols_all_equal = (mask == mask.select(1, 0).unsqueeze(1)).all().item<bool>();
  KATA_ASSERT_OK(kata_test::property(
      !rows_all_equal && !cols_all_equal, "rows and columns with masks of their own",
      fmt::format("every {} has the same mask: the draws are shared across the {}\ncase: {}",
                  rows_all_equal ? "row" : "column", rows_all_equal ? "batch" : "features",
                  describe_case(x, p, true, seed))));
}

TEST(Dropout, SameSeedSameOutput) {
  kata_test::meaning(
      "The same seed must give the same mask (and a different seed a different one): draw from "
      "at::make_generator<at::CPUGeneratorImpl>(seed), passed to torch::rand or bernoulli_, not from the "
      "global generator.");
  auto x = nonzero_x({8, 40});
  const double p = 0.4;
  const int64_t seed = random_seed();
  auto first = kata::dropout(x, p, true, seed);
  KATA_ASSERT_OK(structure(first, x, p, describe_case(x, p, true, seed)));
  auto again = kata::dropout(x, p, true, seed);
  KATA_ASSERT_OK(kata_test::property(
      again.defined() && torch::equal(again, first), "the same output for the same seed",
      fmt::format("a second call with seed {} gave another output: draw from the seeded generator, not the global "
                  "one\ncase: {}", seed, describe_case(x, p, true, seed))));
  KATA_ASSERT_OK(kata_test::property(
      !torch::equal(kept(kata::dropout(x, p, true, seed + 1)), kept(first)), "another mask for another seed",
      fmt::format("seeds {} and {} gave the same mask of 320 elements: is the seed used?\ncase: {}", seed, seed + 1,
                  describe_case(x, p, true, seed))));
}

TEST(Dropout, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The output must stay connected to x: multiply x by the mask (no .detach(), .data() or "
                     "values rebuilt from .item()).");
  kata_test::meaning(
      "The gradient must follow the mask: upstream / (1 - p) where the element was kept, 0 where it was dropped "
      "(in evaluation: upstream unchanged).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (double p : {0.0, 0.3, 1.0}) {
      for (bool training : {true, false}) {
        auto x = nonzero_x({5, 9}, dtype);
        auto weight = torch::randn_like(x);
        const int64_t seed = random_seed();
        auto run = kata_test::run_backward(
            [&](const std::vector<torch::Tensor>& in) { return kata::dropout(in[0], p, training, seed); }, {x}, weight);
        const auto case_desc = describe_case(x, p, training, seed);
        KATA_ASSERT_OK(kata_test::property(run.error.empty() && !run.grads.empty() && run.grads[0].defined(),
                                           "a gradient reaching x",
                                           fmt::format("no gradient reached x: {}\ncase: {}",
                                                       run.error.empty() ? "it is unused" : run.error, case_desc)));
        if (training && p < 1.0) KATA_ASSERT_OK(structure(run.out, x, p, case_desc));
        auto want = !training ? weight : p == 1.0 ? torch::zeros_like(x) : weight * kept(run.out) / (1.0 - p);
        auto tol = kata_test::tolerance_for(dtype);
        KATA_ASSERT_OK(kata_test::property(
            run.grads[0].sizes() == x.sizes() &&
                ((run.grads[0] - want).abs() <= tol.atol + tol.rtol * want.abs()).all().item<bool>(),
            "gradient w.r.t. x following the mask",
            fmt::format("gradient w.r.t. x: expected {}\ncase: {}",
                        !training ? "the upstream gradient unchanged"
                                  : "upstream / (1 - p) where the output kept x, 0 where it dropped it",
                        case_desc)));
      }
    }
  }
}

TEST(Dropout, EdgeProbabilities) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "p = 1 drops everything: the result is all zeros, but x * mask / (1 - p) is 0 * inf = NaN. "
                     "Handle p = 1 on its own.");
  kata_test::meaning("p = 0 in training must be the identity, and p = 1 all zeros.");
  auto x = nonzero_x({3, 11});
  const int64_t seed = random_seed();
  KATA_ASSERT_OK(diff(kata::dropout(x, 0.0, true, seed), x, "output with p = 0", describe_case(x, 0.0, true, seed)));
  KATA_ASSERT_OK(diff(kata::dropout(x, 1.0, true, seed), torch::zeros_like(x), "output with p = 1",
                      describe_case(x, 1.0, true, seed)));
}

TEST(Dropout, AnyShapeAndDtype) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in gives float32 out: draw the uniforms (or the bernoulli mask) with x.options().");
  kata_test::meaning(
      "A 0-dim tensor, an empty one, a 4-D one or float32 breaks a solution that assumes a matrix or builds "
      "the mask with another shape or dtype.");
  for (const auto& shape : std::vector<std::vector<int64_t>>{{}, {0, 5}, {2, 3, 4, 5}, {7}}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto x = nonzero_x(shape, dtype);
      const int64_t seed = random_seed();
      KATA_ASSERT_OK(structure(kata::dropout(x, 0.5, true, seed), x, 0.5, describe_case(x, 0.5, true, seed)));
    }
  }
}

TEST(Dropout, NonContiguousInput) {
  kata_test::meaning(
      "A view (transposed or strided) gives outputs that are not x / (1 - p) where kept: build the mask with "
      "x's sizes and multiply elementwise; do not index raw memory.");
  auto x = nonzero_x({12, 30});
  const int64_t seed = random_seed();
  auto view = kata_test::non_contiguous(x);
  KATA_ASSERT_OK(structure(kata::dropout(view, 0.3, true, seed), x, 0.3, describe_case(view, 0.3, true, seed)));
}

TEST(Dropout, InputUnchanged) {
  kata_test::meaning(
      "dropout wrote into x (an in-place op such as x.mul_(mask)): callers reuse x, so it must be left as it was.");
  auto x = nonzero_x({6, 10});
  auto before = x.clone();
  const int64_t seed = random_seed();
  kata::dropout(x, 0.5, true, seed);
  KATA_ASSERT_OK(diff(x, before, "x after the call", describe_case(before, 0.5, true, seed), kata_test::Tolerance{0, 0}));
}

}  // namespace

// Hidden tests for layer_norm: the learner's kata::layer_norm and kata::rms_norm against the reference, in
// float64 and float32, their gradients w.r.t. x, weight and bias against autograd's through the reference,
// what makes each norm what it is (rows normalised on their own, LayerNorm's standardised rows and its
// invariance to shifts, RMSNorm's lack of centring and its scale invariance), values far from zero, a hidden
// size of 1, edge shapes, views, and inputs left unchanged.
#include "kata_test.h"

#include <fmt/format.h>

#include "layer_norm.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

struct Case {
  std::vector<int64_t> shape;
  double eps;
};
// Ranks 2 to 4, the last dim never equal to another (statistics over the wrong dim keep the right shape but
// not the values) and at most 16 (d / (d - 1) is at least 1.06, so an unbiased variance shows), eps from LLaMA's
// 1e-6 to 0.1 (at 1e-2 and 0.1, where eps goes and whether it is there shows in float32 too). A large eps comes
// first: a check stops at its first failing case, and an eps mistake there is far bigger than float32 rounding,
// so the report does not mistake it for a precision problem.
const std::vector<Case> kCases = {
    {{2, 3, 8}, 1e-2}, {{4, 7}, 1e-5}, {{3, 5, 6}, 1e-6}, {{2, 2, 3, 5}, 0.1}, {{6, 16}, 1e-2}};

struct Inputs {
  torch::Tensor x, weight, bias;
  double eps;
};
// x with a mean far enough from zero that centring or not shows (randn * 2 + 1), weight near 1 but not 1,
// bias near 0 but not 0, so weight and bias cannot stand in for each other.
Inputs random_inputs(const Case& c, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  const int64_t d = c.shape.back();
  return {torch::randn(c.shape, opts) * 2 + 1, 1 + 0.5 * torch::randn({d}, opts), 0.5 * torch::randn({d}, opts),
          c.eps};
}

// "x [2, 3, 8] float64, weight [8] float64, bias [8] float64, seed 3, eps 0.01"
std::string describe_ln(const Inputs& in) {
  return fmt::format("{}, eps {}", kata_test::describe({{"x", in.x}, {"weight", in.weight}, {"bias", in.bias}}),
                     in.eps);
}
std::string describe_rms(const Inputs& in) {
  return fmt::format("{}, eps {}", kata_test::describe({{"x", in.x}, {"weight", in.weight}}), in.eps);
}

torch::Tensor learner_ln(const Inputs& in) { return kata::layer_norm(in.x, in.weight, in.bias, in.eps); }
torch::Tensor expected_ln(const Inputs& in) { return reference::kata::layer_norm(in.x, in.weight, in.bias, in.eps); }
torch::Tensor learner_rms(const Inputs& in) { return kata::rms_norm(in.x, in.weight, in.eps); }
torch::Tensor expected_rms(const Inputs& in) { return reference::kata::rms_norm(in.x, in.weight, in.eps); }

// The learner's output on `in` against the reference's on `same` (the same values, perhaps laid out otherwise).
std::optional<std::string> ln_output(const Inputs& in, const Inputs& same, const std::string& what = "output") {
  auto want = expected_ln(same);
  return diff(learner_ln(in), want, what, describe_ln(in));
}
std::optional<std::string> rms_output(const Inputs& in, const Inputs& same, const std::string& what = "output") {
  auto want = expected_rms(same);
  return diff(learner_rms(in), want, what, describe_rms(in));
}

// diff's shape and dtype part only: the property checks compute with the output, which needs x's shape.
std::optional<std::string> layout_diff(const torch::Tensor& got, const torch::Tensor& x, const std::string& case_desc) {
  if (got.defined() && got.sizes() == x.sizes() && got.scalar_type() == x.scalar_type()) return std::nullopt;
  return diff(got, x, "output", case_desc);
}

std::optional<std::string> ln_gradients(const Inputs& in) {
  auto run = [eps = in.eps](auto norm) {
    return [norm, eps](const std::vector<torch::Tensor>& t) { return norm(t[0], t[1], t[2], eps); };
  };
  auto weight = torch::randn_like(in.x);
  return kata_test::backward_diff(kata_test::run_backward(run(kata::layer_norm), {in.x, in.weight, in.bias}, weight),
                                  kata_test::run_backward(run(reference::kata::layer_norm), {in.x, in.weight, in.bias},
                                                          weight),
                                  {"x", "weight", "bias"}, describe_ln(in));
}
std::optional<std::string> rms_gradients(const Inputs& in) {
  auto run = [eps = in.eps](auto norm) {
    return [norm, eps](const std::vector<torch::Tensor>& t) { return norm(t[0], t[1], eps); };
  };
  auto weight = torch::randn_like(in.x);
  return kata_test::backward_diff(kata_test::run_backward(run(kata::rms_norm), {in.x, in.weight}, weight),
                                  kata_test::run_backward(run(reference::kata::rms_norm), {in.x, in.weight}, weight),
                                  {"x", "weight"}, describe_rms(in));
}

const char* kDtypeAdvice =
    "float32 in gives float32 out: compute in x's dtype and build any constant with x.options().";
const char* kPrecisionAdvice =
    "A float64 run is off by float32-sized errors: part of it ran in float32 (LLaMA's RMSNorm computes "
    "x.float() and casts back, or a constant made as a float tensor). Keep x's dtype throughout.";
const char* kGradientAdvice =
    "The output matches but a gradient does not: the mean, the variance or the rms were taken outside "
    "autograd (.detach(), NoGradGuard, .item()), or written in place into a tensor autograd saved. Both "
    "statistics depend on x, and their gradients are part of dL/dx.";
const char* kNoGradientAdvice =
    "Build the output from differentiable tensor ops on x, weight and bias: no .detach(), NoGradGuard, values "
    "copied out with .item() or filled in through data_ptr.";

// ---- LayerNorm

TEST(LayerNorm, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision, kPrecisionAdvice);
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf: a variance divided by d - 1, or eps left out of the square root's argument.");
  kata_test::meaning(
      "The output differs: mean and biased variance (divide by d) over the last dim only, kept as [..., 1]; "
      "(x - mean) / sqrt(var + eps) with eps inside the square root; then * weight + bias, in that order.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    KATA_ASSERT_OK(ln_output(in, in));
  }
}

TEST(LayerNorm, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, kDtypeAdvice);
  kata_test::meaning("float32 inputs must give the same values, in float32.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat32);
    KATA_ASSERT_OK(ln_output(in, in));
  }
}

TEST(LayerNorm, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient, kNoGradientAdvice);
  kata_test::explain(kata_test::Symptom::gradient_only, kGradientAdvice);
  kata_test::meaning("A gradient w.r.t. x, weight or bias differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32})
    for (const auto& c : kCases) KATA_ASSERT_OK(ln_gradients(random_inputs(c, dtype)));
}

TEST(LayerNorm, StandardisedRows) {
  kata_test::meaning(
      "With weight 1 and bias 0 every row of the output must have mean 0 and mean square var / (var + eps), "
      "var being the row's biased variance: yours does not, so the statistics are not the row's own (another "
      "dim, every dim), the variance divides by d - 1, or eps sits outside the square root.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    in.weight = torch::ones_like(in.weight);
    in.bias = torch::zeros_like(in.bias);
    auto out = learner_ln(in);
    KATA_ASSERT_OK(layout_diff(out, in.x, describe_ln(in)));
    auto var = in.x.var(-1, /*unbiased=*/false, /*keepdim=*/true);
    KATA_ASSERT_OK(diff(out.mean(-1, true), torch::zeros_like(var), "mean of each output row", describe_ln(in)));
    KATA_ASSERT_OK(diff(out.pow(2).mean(-1, true), var / (var + in.eps),
                        "mean square of each output row (expected var / (var + eps))", describe_ln(in)));
  }
}

TEST(LayerNorm, ShiftAndScaleInvariant) {
  kata_test::meaning(
      "layer_norm(a * x + b, eps * a^2) must equal layer_norm(x, eps) for a > 0 and any per-row shift b: the "
      "mean absorbs b and the standard deviation a, with eps inside the square root next to the variance. "
      "Yours changed, so a statistic is not the row's own, or eps is not added to the variance.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    auto out = learner_ln(in);
    KATA_ASSERT_OK(layout_diff(out, in.x, describe_ln(in)));
    const double a = 3.0;
    auto shift_shape = c.shape;
    shift_shape.back() = 1;
    Inputs moved{in.x * a + torch::randn(shift_shape, torch::kFloat64) * 5, in.weight, in.bias, in.eps * a * a};
    KATA_ASSERT_OK(diff(learner_ln(moved), out,
                        "output for 3 x + (a random shift per row), eps * 9 (compared with your output for x, eps)",
                        describe_ln(in)));
  }
}

TEST(LayerNorm, RowsAreIndependent) {
  kata_test::meaning(
      "Changing one row of x changed the output of other rows: LayerNorm takes each row's statistics from "
      "that row alone (mean and var over the last dim, keepdim), not over the batch (that is BatchNorm) or "
      "the whole tensor.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    auto out = learner_ln(in);
    KATA_ASSERT_OK(layout_diff(out, in.x, describe_ln(in)));
    auto changed = in;
    changed.x = in.x.clone();
    changed.x.select(0, 0).mul_(4).add_(3);
    auto others = torch::indexing::Slice(1, torch::indexing::None);
    KATA_ASSERT_OK(diff(learner_ln(changed).index({others}), out.index({others}),
                        "output of rows x[1:] after changing x[0] (compared with your output before)",
                        describe_ln(in)));
  }
}

TEST(LayerNorm, LargeOffsetFloat64) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN: mean(x^2) - mean(x)^2 cancelled to a negative number, whose square root is NaN.");
  kata_test::meaning(
      "Rows of x + 10000 (spread 1) lose accuracy: var = mean(x^2) - mean(x)^2 subtracts two numbers near 1e8 "
      "to get one near 1, which keeps only about 8 of float64's 16 digits. Subtract the mean first, then "
      "average the squares: mean((x - mean)^2).");
  for (const auto& c : std::vector<Case>{{{16, 32}, 1e-5}, {{2, 4, 48}, 1e-5}}) {
    auto in = random_inputs(c, torch::kFloat64);
    in.x = torch::randn(c.shape, torch::kFloat64) + 1e4;
    KATA_ASSERT_OK(ln_output(in, in, "output for x near 10000"));
  }
}

TEST(LayerNorm, HiddenSizeOne) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN with d == 1: an unbiased variance divides 0 by d - 1 == 0, or a missing eps divides 0 "
                     "by sqrt(0).");
  kata_test::meaning(
      "With d == 1 every row is its own mean, so x - mean is 0 and the output is exactly bias (and the "
      "gradient w.r.t. x is 0).");
  for (const auto& c : std::vector<Case>{{{5, 1}, 1e-2}, {{2, 3, 1}, 1e-5}, {{1}, 0.5}}) {
    auto in = random_inputs(c, torch::kFloat64);
    KATA_ASSERT_OK(ln_output(in, in));
    KATA_ASSERT_OK(ln_gradients(in));
  }
}

TEST(LayerNorm, EdgeShapes) {
  kata_test::meaning(
      "A 1-D x (a single vector), a single row, a size-1 dim in the middle or an empty batch breaks code "
      "that assumes 2-D inputs, squeezes dims or normalises over a fixed dim instead of the last one.");
  for (const auto& c : std::vector<Case>{{{7}, 1e-5}, {{1, 6}, 1e-2}, {{3, 1, 5}, 1e-5}, {{0, 5}, 1e-5}}) {
    auto in = random_inputs(c, torch::kFloat64);
    KATA_ASSERT_OK(ln_output(in, in));
  }
}

TEST(LayerNorm, NonContiguousInputs) {
  kata_test::meaning(
      "x, weight or bias as views (transposed storage) give other results: .view() or data_ptr indexing "
      "assumes a memory layout; use reshape and tensor ops.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    Inputs views{kata_test::non_contiguous(in.x), kata_test::non_contiguous(in.weight),
                 kata_test::non_contiguous(in.bias), in.eps};
    KATA_ASSERT_OK(ln_output(views, in));
  }
}

TEST(LayerNorm, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into x, weight or bias (an in-place op such as x.sub_(mean)): callers reuse them "
      "(x is the residual stream, weight and bias are parameters), so they must be left as they were.");
  auto in = random_inputs({{3, 6}, 1e-5}, torch::kFloat64);
  Inputs copy{in.x.clone(), in.weight.clone(), in.bias.clone(), in.eps};
  learner_ln(in);
  const kata_test::Tolerance exact{0, 0};
  KATA_ASSERT_OK(diff(in.x, copy.x, "x after the call", describe_ln(copy), exact));
  KATA_ASSERT_OK(diff(in.weight, copy.weight, "weight after the call", describe_ln(copy), exact));
  KATA_ASSERT_OK(diff(in.bias, copy.bias, "bias after the call", describe_ln(copy), exact));
}

// ---- RMSNorm

TEST(RmsNorm, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision, kPrecisionAdvice);
  kata_test::meaning(
      "The output differs: x / sqrt(mean(x^2) + eps) * weight, the mean of squares over the last dim only "
      "(kept as [..., 1]), eps inside the square root, no mean subtracted and no bias.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    KATA_ASSERT_OK(rms_output(in, in));
  }
}

TEST(RmsNorm, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, kDtypeAdvice);
  kata_test::meaning("float32 inputs must give the same values, in float32.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat32);
    KATA_ASSERT_OK(rms_output(in, in));
  }
}

TEST(RmsNorm, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient, kNoGradientAdvice);
  kata_test::explain(kata_test::Symptom::gradient_only, kGradientAdvice);
  kata_test::meaning("A gradient w.r.t. x or weight differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32})
    for (const auto& c : kCases) KATA_ASSERT_OK(rms_gradients(random_inputs(c, dtype)));
  // A hidden size of 1 last (see EdgeShapes): x / sqrt(x^2 + eps), whose gradient eps keeps finite.
  KATA_ASSERT_OK(rms_gradients(random_inputs({{5, 1}, 0.5}, torch::kFloat64)));
}

TEST(RmsNorm, NoCentring) {
  kata_test::meaning(
      "RMSNorm does not subtract the mean: rows whose values sit close together far from zero (level c, spread "
      "0.1 c) come out near sign(c) * weight, the level kept. Subtracting the mean first (LayerNorm) throws the "
      "level away and blows the small spread up to unit size.");
  for (const auto& c : std::vector<Case>{{{4, 6}, 1e-2}, {{2, 3, 5}, 1e-5}}) {
    auto in = random_inputs(c, torch::kFloat64);
    auto row_shape = c.shape;
    row_shape.back() = 1;
    auto level = torch::randn(row_shape, torch::kFloat64) * 2;
    in.x = level * (1 + 0.1 * torch::randn(c.shape, torch::kFloat64));
    KATA_ASSERT_OK(rms_output(in, in, "output for rows of nearly equal values"));
  }
}

TEST(RmsNorm, ScaleInvariant) {
  kata_test::meaning(
      "rms_norm(a * x, eps * a^2) must equal rms_norm(x, eps) for any a != 0: the rms absorbs a, with eps "
      "inside the square root next to the mean square. Yours changed, so the rms is not the row's own, or eps "
      "is not added to the mean square.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    auto out = learner_rms(in);
    KATA_ASSERT_OK(layout_diff(out, in.x, describe_rms(in)));
    Inputs scaled{in.x * -4.0, in.weight, in.bias, in.eps * 16};
    KATA_ASSERT_OK(diff(learner_rms(scaled), -out,
                        "output for -4 x, eps * 16 (compared with minus your output for x, eps)", describe_rms(in)));
  }
}

TEST(RmsNorm, RowsAreIndependent) {
  kata_test::meaning(
      "Changing one row of x changed the output of other rows: the mean square is each row's own, over the "
      "last dim with keepdim, not over the batch or the whole tensor.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    auto out = learner_rms(in);
    KATA_ASSERT_OK(layout_diff(out, in.x, describe_rms(in)));
    auto changed = in;
    changed.x = in.x.clone();
    changed.x.select(0, 0).mul_(4).add_(3);
    auto others = torch::indexing::Slice(1, torch::indexing::None);
    KATA_ASSERT_OK(diff(learner_rms(changed).index({others}), out.index({others}),
                        "output of rows x[1:] after changing x[0] (compared with your output before)",
                        describe_rms(in)));
  }
}

TEST(RmsNorm, EdgeShapes) {
  kata_test::explain(kata_test::Symptom::non_finite, "NaN with d == 1: a division by d - 1 == 0, or by sqrt(0).");
  kata_test::meaning(
      "A 1-D x (a single vector), a hidden size of 1 (the output is x / sqrt(x^2 + eps) * weight: eps matters), "
      "a single row, a size-1 dim in the middle or an empty batch breaks code that assumes 2-D inputs, "
      "squeezes dims or normalises over a fixed dim instead of the last one.");
  // The d == 1 cases come after a d > 1 one: a stub returning zeros must not look like the mistake of
  // subtracting the mean, which gives exactly 0 when d == 1.
  for (const auto& c : std::vector<Case>{
           {{7}, 1e-5}, {{5, 1}, 1e-2}, {{2, 3, 1}, 0.5}, {{1}, 0.1}, {{1, 6}, 1e-2}, {{3, 1, 5}, 1e-5}, {{0, 5}, 1e-5}}) {
    auto in = random_inputs(c, torch::kFloat64);
    KATA_ASSERT_OK(rms_output(in, in));
  }
}

TEST(RmsNorm, NonContiguousInputs) {
  kata_test::meaning(
      "x or weight as views (transposed storage) give other results: .view() or data_ptr indexing assumes a "
      "memory layout; use reshape and tensor ops.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    Inputs views{kata_test::non_contiguous(in.x), kata_test::non_contiguous(in.weight), in.bias, in.eps};
    KATA_ASSERT_OK(rms_output(views, in));
  }
}

TEST(RmsNorm, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into x or weight (an in-place op such as x.mul_): callers reuse them, so they must "
      "be left as they were.");
  auto in = random_inputs({{3, 6}, 1e-5}, torch::kFloat64);
  Inputs copy{in.x.clone(), in.weight.clone(), in.bias, in.eps};
  learner_rms(in);
  const kata_test::Tolerance exact{0, 0};
  KATA_ASSERT_OK(diff(in.x, copy.x, "x after the call", describe_rms(copy), exact));
  KATA_ASSERT_OK(diff(in.weight, copy.weight, "weight after the call", describe_rms(copy), exact));
}

}  // namespace

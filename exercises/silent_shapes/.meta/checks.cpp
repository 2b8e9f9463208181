// Hidden tests for silent_shapes: the learner's repaired program, piece by piece and as a whole, against the
// reference.
//
// The colleague's program has four bugs, each in its own function of the contract, and none of them changes a
// shape anywhere (nor throws on any shape these checks use). The first four checks each call one function alone,
// so that a partial fix is told which bugs are left, each at its own check:
//   TimeMajor                 bug 3, reshape instead of permute: x [N, C, T] with C, T >= 2 (reshape and permute
//                             agree only when C or T is 1);
//   SmoothingKernelRows       bug 4, the row sums taken without keepdim: [T] broadcasts as a row [1, T], so
//                             entry (t, j) is divided by row j's sum, not row t's (the same only when T == 1);
//   StandardiseOverExamples   bug 2, the statistics over the features (dim 1) instead of the examples (dim 0):
//                             N != F and columns on different scales;
//   MseOfColumnAgainstVector  bug 1, pred [N, 1] - target [N] broadcast to [N, N]: N >= 2 (N == 1 hides it).
// Then the whole program (make_features, fit in float64 and float32), where every bug shows, and the usual edge
// shapes, non-contiguous views and untouched inputs.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "silent_shapes.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::Tolerance;

// Differently written correct programs (permute or transpose, the kernel by loops or closed-form row sums,
// var().sqrt() or std(), squeeze or unsqueeze, autograd or the gradients by hand, optim::SGD) agree with the
// reference to ~1e-14 in float64 and ~1e-6 in float32 over a whole run; every bug and every listed wrong fix moves
// some loss of every run by 1e-2 relative or more (most by far more). The bounds leave a wide margin both ways.
const Tolerance kFit64{1e-7, 1e-10};
const Tolerance kFit32{1e-3, 1e-5};

// float32 standardisation: subtracting a column's mean cancels digits (|mean| / std up to ~10 here; std_mean,
// var().sqrt() and std() round differently), so ok solutions differ by up to ~2e-5; every wrong statistic is off by
// 2% or more (the sample std of 10 examples: sqrt(10 / 9) - 1 = 5%).
const Tolerance kStandardise32{1e-4, 1e-4};

Tolerance fit_tolerance(torch::ScalarType dtype) { return dtype == torch::kFloat64 ? kFit64 : kFit32; }

torch::TensorOptions f64() { return torch::TensorOptions().dtype(torch::kFloat64); }

// A uniform draw in [low, high), of the given shape.
torch::Tensor uniform(at::IntArrayRef shape, double low, double high) {
  return low + (high - low) * torch::rand(shape, f64());
}

// Noisy sensor readings [N, C, T]: every example has a level per channel, each reading is that level plus noise
// twice as large, and every channel has its own unit (a factor in [e^-1.5, e^1.5]) and offset (within +-3 units),
// as raw readings do. Bounded, so that no channel's offset dwarfs its spread: float32 standardisation of such a
// channel would cancel most of its digits.
torch::Tensor make_signals(int64_t n, int64_t c, int64_t t, torch::ScalarType dtype) {
  auto x = torch::randn({n, c, 1}, f64()) + 2.0 * torch::randn({n, c, t}, f64()) + uniform({1, c, 1}, -3.0, 3.0);
  x = x * torch::exp(uniform({1, c, 1}, -1.5, 1.5));
  return x.to(dtype);
}

// Targets [N] that a correct program can fit: a linear function of the intended features, plus a little noise.
torch::Tensor make_targets(const torch::Tensor& x, double decay) {
  auto z = reference::kata::make_features(x.to(torch::kFloat64), decay);
  auto beta = torch::randn({z.size(1)}, f64());
  return (torch::matmul(z, beta) + 0.5 + 0.1 * torch::randn({z.size(0)}, f64())).to(x.scalar_type());
}

double random_decay() { return 0.8 + 0.12 * torch::rand({1}, f64()).item<double>(); }

// One run of the program.
struct RunConfig {
  int64_t n, c, t, steps;
  double lr;
};

struct Problem {
  torch::Tensor x, y;
  double decay;
};

Problem make_problem(const RunConfig& r, torch::ScalarType dtype) {
  auto x = make_signals(r.n, r.c, r.t, torch::kFloat64);
  const double decay = random_decay();
  auto y = make_targets(x, decay);
  return {x.to(dtype), y.to(dtype), decay};
}

std::string describe_fit(const RunConfig& r, const Problem& p, const torch::Tensor& x, const torch::Tensor& y) {
  return fmt::format("fit({}, decay {}, steps {}, lr {})", kata_test::describe({{"x", x}, {"y", y}}), p.decay,
                     r.steps, r.lr);
}

// The learner's fit on (x, y) against the reference's on p's own values: every loss, then the weight and the bias.
std::optional<std::string> compare_fit(const RunConfig& r, const Problem& p, const torch::Tensor& x, const torch::Tensor& y) {
  auto want = reference::kata::fit(p.x.clone(), p.y.clone(), p.decay, r.steps, r.lr);
  auto got = kata::fit(x, y, p.decay, r.steps, r.lr);
  const auto description = describe_fit(r, p, x, y);
  const auto tol = fit_tolerance(p.x.scalar_type());
  if (auto e = diff(torch::tensor(got.losses, torch::kFloat64), torch::tensor(want.losses, torch::kFloat64),
                    "loss per step (index = step)", description, tol))
    return e;
  if (auto e = diff(got.weight, want.weight, "weight after the last step", description, tol)) return e;
  return diff(got.bias, want.bias, "bias after the last step", description, tol);
}

std::optional<std::string> compare_features(const torch::Tensor& x, const torch::Tensor& same, double decay) {
  auto want = reference::kata::make_features(same.clone(), decay);
  return diff(kata::make_features(x, decay), want, "make_features(x, decay)",
              kata_test::describe({{"x", x}}) + fmt::format(", decay {}", decay), fit_tolerance(x.scalar_type()));
}

// Features with a different unit (a factor in [e^-1, e^1]) and offset (within +-4 units) per column, so that
// statistics over the wrong axis are far off; bounded as make_signals is.
torch::Tensor make_columns(int64_t n, int64_t f, torch::ScalarType dtype) {
  auto cols = (torch::randn({n, f}, f64()) + uniform({1, f}, -4.0, 4.0)) * torch::exp(uniform({1, f}, -1.0, 1.0));
  return cols.to(dtype);
}

// ---- The four checks that each let one of the colleague's bugs show, and only that one.

TEST(SilentShapes, TimeMajor) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "to_time_major returns [N, T, C] for x [N, C, T]: swap the last two dimensions.");
  kata_test::meaning(
      "to_time_major has the right shape and the wrong values: out[n][t][c] must be x[n][c][t]. reshape (or "
      "view) to [N, T, C] keeps the memory order and only re-reads it with new sizes, so each 'time step' gets T "
      "consecutive readings of one channel, cut into rows of C; moving an axis is permute({0, 2, 1}) or "
      "transpose(1, 2). .contiguous() before a view changes nothing about the order.");
  struct Shape {
    int64_t n, c, t;
  };
  for (const auto& s : std::vector<Shape>{{3, 4, 5}, {2, 5, 3}, {4, 2, 7}, {5, 3, 2}}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      std::vector<torch::Tensor> inputs = {torch::randn({s.n, s.c, s.t}, torch::TensorOptions().dtype(dtype))};
      auto weight = torch::randn({s.n, s.t, s.c}, inputs[0].options());
      auto run = [&](auto&& f) {
        return kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return f(in[0]); }, inputs, weight);
      };
      auto want = run([](const torch::Tensor& x) { return reference::kata::to_time_major(x); });
      auto got = run([](const torch::Tensor& x) { return kata::to_time_major(x); });
      KATA_ASSERT_OK(kata_test::backward_diff(got, want, {"x"}, "to_time_major(" + kata_test::describe({{"x", inputs[0]}}) + ")"));
    }
  }
}

TEST(SilentShapes, SmoothingKernelRows) {
  kata_test::explain(kata_test::Symptom::wrong_shape, "smoothing_kernel(T, decay) is [T, T].");
  kata_test::explain(kata_test::Symptom::wrong_dtype, "smoothing_kernel returns float64.");
  kata_test::meaning(
      "The smoothing weights are wrong: row t must be divided by its own sum, so that every row sums to 1. "
      "k.sum(1) is [T], and [T, T] / [T] broadcasts it as a row [1, T]: entry (t, j) is divided by row j's sum, "
      "so the rows no longer sum to 1 (print K.sum(1)). Keep the reduced dimension, k.sum(1, /*keepdim=*/true) "
      "([T, 1]), or unsqueeze(1) it; keepdim on the sum over dim 0 normalises the columns instead.");
  for (int64_t t : {5, 2, 9, 16}) {
    const double decay = 0.5 + 0.45 * torch::rand({1}, f64()).item<double>();
    KATA_ASSERT_OK(diff(kata::smoothing_kernel(t, decay), reference::kata::smoothing_kernel(t, decay),
                        "smoothing_kernel(T, decay)", fmt::format("T {}, decay {}, seed {}", t, decay, kata_test::run_seed()),
                        Tolerance{1e-10, 1e-12}));
  }
}

TEST(SilentShapes, StandardiseOverExamples) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf: a standard deviation of 0. Over the examples (dim 0) no column of these inputs is "
                     "constant; over a single feature (dim 1 with F == 1) every row is.");
  kata_test::meaning(
      "standardise gives the right shape and the wrong values: each column (a feature) is standardised with its "
      "own mean and std over the N examples, dim 0, so that every column of the result has mean 0 and std 1. "
      "Statistics over dim 1 standardise each example across its features instead (every row then has mean 0): "
      "with keepdim the shapes still broadcast, silently. The std is the population one (unbiased = false, "
      "divide by N).");
  struct Shape {
    int64_t n, f;
  };
  for (const auto& s : std::vector<Shape>{{6, 3}, {10, 4}, {5, 8}, {7, 2}}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto features = make_columns(s.n, s.f, dtype);
      KATA_ASSERT_OK(diff(kata::standardise(features), reference::kata::standardise(features.clone()),
                          "standardise(features)", kata_test::describe({{"features", features}}),
                          dtype == torch::kFloat64 ? Tolerance{1e-10, 1e-10} : kStandardise32));
    }
  }
}

TEST(SilentShapes, MseOfColumnAgainstVector) {
  kata_test::explain(kata_test::Symptom::wrong_shape, "mse returns a 0-dim tensor, the mean over the N examples.");
  kata_test::meaning(
      "mse is wrong: pred is [N, 1] and target is [N], and pred - target broadcasts to [N, N] (entry (i, j) is "
      "pred[i] - target[j]), so the mean runs over every pair: the loss is then smallest when every prediction is "
      "the mean of the targets, whatever the inputs. Make the shapes equal before subtracting: pred.squeeze(1) "
      "(or target.unsqueeze(1)), and check with sizes() that the difference is [N] (or [N, 1]), never [N, N]; "
      "squeezing one and unsqueezing the other the wrong way round is [N, N] again.");
  for (int64_t n : {2, 5, 9}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto opts = torch::TensorOptions().dtype(dtype);
      std::vector<torch::Tensor> inputs = {torch::randn({n, 1}, opts), torch::randn({n}, opts) + 0.5};
      auto weight = torch::randn({}, opts);
      auto run = [&](auto&& f) {
        return kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return f(in[0], in[1]); }, inputs,
                                       weight);
      };
      auto want = run([](const torch::Tensor& p, const torch::Tensor& t) { return reference::kata::mse(p, t); });
      auto got = run([](const torch::Tensor& p, const torch::Tensor& t) { return kata::mse(p, t); });
      KATA_ASSERT_OK(kata_test::backward_diff(
          got, want, {"pred", "target"},
          "mse(" + kata_test::describe({{"pred", inputs[0]}, {"target", inputs[1]}}) + ")"));
    }
  }
}

// ---- The whole program: every bug shows here.

const std::vector<RunConfig> kRuns = {{64, 4, 12, 100, 0.1}, {30, 3, 7, 60, 0.15}, {45, 5, 9, 80, 0.1}};

TEST(SilentShapes, Features) {
  kata_test::meaning(
      "make_features differs: smoothed = smoothing_kernel(T, decay) (in x's dtype) matmul to_time_major(x), then "
      "standardise(smoothed[:, T - 1, :]). The four checks above test each piece alone; if they pass, compare "
      "the composition with the contract (the last time step, dimension 1 of [N, T, C]).");
  for (const auto& r : kRuns) {
    auto x = make_signals(r.n, r.c, r.t, torch::kFloat64);
    KATA_ASSERT_OK(compare_features(x, x, random_decay()));
  }
}

TEST(SilentShapes, FitFloat64) {
  kata_test::meaning(
      "The training run differs from the intended program (the losses, or the weight and bias at the end). The "
      "checks above test the pieces alone; if they pass, look at the loop: weight [C, 1] and bias [1] start at "
      "zero, every step logs mse(features @ weight + bias, y) before its update and subtracts lr times this "
      "step's gradients (zero them every step). A smaller learning rate or rescaled targets only hide the bugs.");
  for (const auto& r : kRuns) {
    auto p = make_problem(r, torch::kFloat64);
    KATA_ASSERT_OK(compare_fit(r, p, p.x, p.y));
  }
}

TEST(SilentShapes, FitFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 x and y give float32 weight and bias: build the kernel, the parameters and every "
                     "constant in x's dtype.");
  kata_test::meaning("The float32 training run differs from the intended program's in float32.");
  for (const auto& r : kRuns) {
    auto p = make_problem(r, torch::kFloat32);
    KATA_ASSERT_OK(compare_fit(r, p, p.x, p.y));
  }
}

TEST(SilentShapes, EdgeShapes) {
  kata_test::meaning(
      "One channel, one time step or two examples break a program that squeezes every dimension of size 1 or "
      "hard-codes a size: squeeze only the dimension you mean (squeeze(1)), and take N, C and T from x.");
  for (const auto& r : std::vector<RunConfig>{{2, 3, 1, 5, 0.1}, {3, 1, 6, 5, 0.2}, {2, 1, 1, 4, 0.2}, {5, 2, 2, 6, 0.1}}) {
    auto p = make_problem(r, torch::kFloat64);
    KATA_ASSERT_OK(diff(kata::to_time_major(p.x), reference::kata::to_time_major(p.x.clone()), "to_time_major(x)",
                        kata_test::describe({{"x", p.x}})));
    KATA_ASSERT_OK(compare_features(p.x, p.x, p.decay));
    KATA_ASSERT_OK(compare_fit(r, p, p.x, p.y));
  }
  auto pred = torch::randn({1, 1}, f64()), target = torch::randn({1}, f64());
  KATA_ASSERT_OK(diff(kata::mse(pred, target), reference::kata::mse(pred, target), "mse(pred, target)",
                      kata_test::describe({{"pred", pred}, {"target", target}})));
}

TEST(SilentShapes, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views (transposed storage, a column sliced from a wider tensor) give different results: "
      ".view() or data_ptr() indexing assumes a memory layout; use permute, reshape and the tensor's own indexing.");
  const RunConfig r = kRuns[1];
  auto p = make_problem(r, torch::kFloat64);
  auto x = kata_test::non_contiguous(p.x);
  auto y = torch::stack({p.y, p.y * 2}, /*dim=*/1).select(/*dim=*/1, 0);  // every other value of a buffer
  KATA_ASSERT_OK(diff(kata::to_time_major(x), reference::kata::to_time_major(p.x.clone()), "to_time_major(x)",
                      kata_test::describe({{"x", x}})));
  auto features = make_columns(7, 3, torch::kFloat64);
  auto features_view = kata_test::non_contiguous(features);
  KATA_ASSERT_OK(diff(kata::standardise(features_view), reference::kata::standardise(features.clone()),
                      "standardise(features)", kata_test::describe({{"features", features_view}})));
  auto wide = torch::randn({6, 3}, f64());
  auto pred = wide.narrow(/*dim=*/1, 1, 1);  // [6, 1], row stride 3
  auto target = torch::randn({6, 2}, f64()).select(/*dim=*/1, 1);
  KATA_ASSERT_OK(diff(kata::mse(pred, target), reference::kata::mse(pred.clone(), target.clone()), "mse(pred, target)",
                      kata_test::describe({{"pred", pred}, {"target", target}})));
  KATA_ASSERT_OK(compare_features(x, p.x, p.decay));
  KATA_ASSERT_OK(compare_fit(r, p, x, y));
}

TEST(SilentShapes, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its input (an in-place op such as sub_, div_ or squeeze_ on the caller's tensor): "
      "callers reuse their data, so leave it as it was.");
  const RunConfig r = kRuns[1];
  auto p = make_problem(r, torch::kFloat64);
  auto x = p.x.clone(), y = p.y.clone();
  kata::fit(p.x, p.y, p.decay, r.steps, r.lr);
  kata::make_features(p.x, p.decay);
  kata::to_time_major(p.x);
  const auto description = describe_fit(r, p, x, y);
  KATA_ASSERT_OK(diff(p.x, x, "x after the calls", description, Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(p.y, y, "y after fit", description, Tolerance{0, 0}));
  auto features = make_columns(7, 3, torch::kFloat64), features_before = features.clone();
  kata::standardise(features);
  KATA_ASSERT_OK(diff(features, features_before, "features after standardise",
                      kata_test::describe({{"features", features_before}}), Tolerance{0, 0}));
  auto pred = torch::randn({5, 1}, f64()), target = torch::randn({5}, f64());
  auto pred_before = pred.clone(), target_before = target.clone();
  kata::mse(pred, target);
  const auto mse_description = kata_test::describe({{"pred", pred_before}, {"target", target_before}});
  KATA_ASSERT_OK(diff(pred, pred_before, "pred after mse", mse_description, Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(target, target_before, "target after mse", mse_description, Tolerance{0, 0}));
}

}  // namespace

// Hidden tests for exploding_gradients: the learner's repaired program, piece by piece and end to end, against
// the reference.
//
// The colleague's program has four bugs, one in each piece of the contract, and the first four checks each call
// one piece only, with inputs where only that piece's bug can show, so that a partial fix is told which bugs are
// left, each at its own check:
//   InitParameters              bug 1, weights with std 1: init_parameters alone, exactly, from the same seed;
//   ResidualBranchScale         bug 2, the branch added without 1/sqrt(depth): forward alone, given parameters,
//                               depth >= 2;
//   LearningRateSchedule        bug 3, no warmup: learning_rate alone, every step of a few schedules;
//   TrainStepClipsBeforeUpdate  bug 4, clipping after the update: train_step alone from given parameters of
//                               depth 1 (where 1/sqrt(depth) = 1, so bug 2 cannot show), gradients far above,
//                               above and below max_grad_norm.
// Then the whole program (train: the per-step logs and the final parameters, float64 and float32), forward's
// gradients, edge shapes, non-contiguous inputs and inputs left unchanged: every bug shows in most of them.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "exploding_gradients.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::Tolerance;

// Measured over 200 data seeds on the runs below (2026-12-02): the two differently written right programs of
// .meta/cases (optim::SGD with the clip written out and normal_ draws; a hand-written layer norm, matmul layers,
// autograd::grad) agree with the reference to 2e-11 relative in float64 (7e-10 on the one-row edge runs) and to
// 2.1e-4 in float32, a margin of 140 and 50 under these bounds. The bugs and masks are named by the first four
// checks, which compare one piece at the float64 default (1e-10) or 1e-12, and change that piece by far more.
const Tolerance kTrainFloat64{1e-7, 1e-9};
const Tolerance kTrainFloat32{1e-2, 1e-4};

struct Arch {
  int64_t in, width, depth, out;
};

kata::Config config(const Arch& a, int64_t steps, int64_t warmup_steps, double lr, double max_grad_norm) {
  kata::Config c;
  c.in_features = a.in;
  c.width = a.width;
  c.depth = a.depth;
  c.out_features = a.out;
  c.steps = steps;
  c.warmup_steps = warmup_steps;
  c.lr = lr;
  c.max_grad_norm = max_grad_norm;
  return c;
}

std::string describe_config(const kata::Config& c) {
  return fmt::format(
      "Config{{in_features {}, width {}, depth {}, out_features {}, steps {}, warmup_steps {}, lr {}, "
      "max_grad_norm {}}}",
      c.in_features, c.width, c.depth, c.out_features, c.steps, c.warmup_steps, c.lr, c.max_grad_norm);
}

// ---- Parameters: the learner's and the reference's structs hold the same fields.

template <class P>
std::vector<std::pair<std::string, torch::Tensor>> named(const P& p) {
  std::vector<std::pair<std::string, torch::Tensor>> all = {{"w_in", p.w_in}, {"b_in", p.b_in}};
  for (size_t l = 0; l < p.w1.size(); ++l) {
    all.emplace_back(fmt::format("w1[{}]", l), p.w1[l]);
    if (l < p.b1.size()) all.emplace_back(fmt::format("b1[{}]", l), p.b1[l]);
    if (l < p.w2.size()) all.emplace_back(fmt::format("w2[{}]", l), p.w2[l]);
    if (l < p.b2.size()) all.emplace_back(fmt::format("b2[{}]", l), p.b2[l]);
  }
  all.emplace_back("w_out", p.w_out);
  all.emplace_back("b_out", p.b_out);
  return all;
}

template <class To, class From>
To convert(const From& p, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  To q;
  q.w_in = f(p.w_in);
  q.b_in = f(p.b_in);
  for (const auto& t : p.w1) q.w1.push_back(f(t));
  for (const auto& t : p.b1) q.b1.push_back(f(t));
  for (const auto& t : p.w2) q.w2.push_back(f(t));
  for (const auto& t : p.b2) q.b2.push_back(f(t));
  q.w_out = f(p.w_out);
  q.b_out = f(p.b_out);
  return q;
}

torch::Tensor same(const torch::Tensor& t) { return t; }
torch::Tensor copy(const torch::Tensor& t) { return t.clone(); }

reference::kata::Params as_reference(const kata::Params& p) { return convert<reference::kata::Params>(p, copy); }
reference::kata::Config as_reference(const kata::Config& c) {
  return kata_test::as_reference<reference::kata::Config>(c);
}

// The learner's parameters against the reference's: the number of blocks, then every tensor by name.
template <class P>
std::optional<std::string> diff_params(const kata::Params& got, const P& want, const std::string& when,
                                       const std::string& description, std::optional<Tolerance> tol = {}) {
  const size_t depth = want.w1.size();
  const bool blocks =
      got.w1.size() == depth && got.b1.size() == depth && got.w2.size() == depth && got.b2.size() == depth;
  if (auto e = kata_test::property(
          blocks, "number of residual blocks " + when,
          fmt::format("{}: w1, b1, w2, b2 hold {}, {}, {}, {} tensors, expected depth = {} each\ncase: {}", when,
                      got.w1.size(), got.b1.size(), got.w2.size(), got.b2.size(), depth, description))) {
    return e;
  }
  auto mine = named(got), theirs = named(want);
  for (size_t i = 0; i < theirs.size(); ++i) {
    if (auto e = diff(mine[i].second, theirs[i].second, fmt::format("{} {}", theirs[i].first, when), description, tol))
      return e;
  }
  return std::nullopt;
}

// Random parameters of an architecture: LeCun-scaled weights times `weight_scale`, small random biases (so that a
// bias dropped or misplaced shows).
kata::Params random_params(const Arch& a, torch::ScalarType dtype, double weight_scale = 1.0) {
  auto opts = torch::TensorOptions().dtype(dtype);
  auto weight = [&](int64_t fan_out, int64_t fan_in) {
    return torch::randn({fan_out, fan_in}, opts) * (weight_scale / std::sqrt(static_cast<double>(fan_in)));
  };
  auto bias = [&](int64_t n) { return 0.1 * torch::randn({n}, opts); };
  kata::Params p;
  p.w_in = weight(a.width, a.in);
  p.b_in = bias(a.width);
  for (int64_t l = 0; l < a.depth; ++l) {
    p.w1.push_back(weight(a.width, a.width));
    p.b1.push_back(bias(a.width));
    p.w2.push_back(weight(a.width, a.width));
    p.b2.push_back(bias(a.width));
  }
  p.w_out = weight(a.out, a.width);
  p.b_out = bias(a.out);
  return p;
}

std::string describe_arch(const Arch& a) {
  return fmt::format("params of in_features {}, width {}, depth {}, out_features {}", a.in, a.width, a.depth, a.out);
}

// A smooth regression target of x, scaled by `target_scale`, with a little noise.
struct Data {
  torch::Tensor x, y;
};
Data make_data(int64_t n, const Arch& a, torch::ScalarType dtype, double target_scale = 1.0) {
  auto opts = torch::TensorOptions().dtype(dtype);
  auto x = torch::randn({n, a.in}, opts);
  auto teacher = torch::randn({a.in, a.out}, opts) / std::sqrt(static_cast<double>(a.in));
  auto y = target_scale * (torch::sin(2 * x.mm(teacher)) + 0.1 * torch::randn({n, a.out}, opts));
  return {x, y};
}

int64_t random_seed() { return torch::randint(1, 1 << 30, {1}, torch::kInt64).item<int64_t>(); }

std::optional<std::string> diff_per_step(const std::vector<double>& got, const std::vector<double>& want,
                                         const std::string& what, const std::string& description, Tolerance tol) {
  return diff(torch::tensor(got, torch::kFloat64), torch::tensor(want, torch::kFloat64),
              what + " per step (index = step)", description, tol);
}

// ---- The four checks that each let one of the colleague's bugs show, and only that one.

TEST(ExplodingGradients, InitParameters) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "init_parameters returns float64 parameters (train converts them to the data's dtype).");
  kata_test::meaning(
      "The initial parameters differ from the contract's (compared exactly, same seed): every weight is "
      "torch::randn({fan_out, fan_in}, gen, float64) / sqrt(fan_in), N(0, 1/fan_in), from one generator "
      "at::detail::createCPUGenerator(seed), drawn in the order w_in, then w1[l], w2[l] for each block, then w_out; "
      "biases are zero. A weight of std 1 (randn alone) multiplies the scale of every layer's output by about "
      "sqrt(fan_in): the network starts orders of magnitude too large, and so do its gradients.");
  for (const auto& a : std::vector<Arch>{{4, 32, 8, 1}, {3, 5, 2, 2}, {6, 16, 3, 1}, {1, 7, 1, 3}}) {
    auto cfg = config(a, 10, 2, 0.05, 1.0);
    const int64_t seed = random_seed();
    auto want = reference::kata::init_parameters(as_reference(cfg), seed);
    auto got = kata::init_parameters(cfg, seed);
    KATA_ASSERT_OK(diff_params(got, want, "from init_parameters",
                               fmt::format("init_parameters({}, seed {})", describe_config(cfg), seed)));
  }
}

TEST(ExplodingGradients, ResidualBranchScale) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf in forward from finite parameters: look at the layer norm (eps 1e-5 inside the "
                     "square root) and at anything divided by a quantity that can be 0.");
  kata_test::meaning(
      "forward differs from the contract on given parameters of depth >= 2 (the initialisation, the schedule "
      "and the clipping cannot matter here). Each block adds its branch multiplied by 1/sqrt(depth): "
      "h = h + (relu(linear(LN(h), w1, b1)) @ w2^T + b2) / sqrt(depth), the skip path unscaled, depth = the "
      "number of blocks. Without the multiplier the residual stream grows with every block.");
  for (const auto& a : std::vector<Arch>{{4, 8, 2, 1}, {3, 16, 8, 2}, {5, 6, 3, 3}, {2, 4, 16, 1}}) {
    auto p = random_params(a, torch::kFloat64);
    auto x = torch::randn({7, a.in}, torch::kFloat64);
    auto want = reference::kata::forward(as_reference(p), x.clone());
    KATA_ASSERT_OK(diff(kata::forward(p, x), want, "output of forward",
                        fmt::format("forward({}, {})", describe_arch(a), kata_test::describe("x", x))));
  }
}

TEST(ExplodingGradients, LearningRateSchedule) {
  kata_test::meaning(
      "learning_rate(s, cfg) differs from the contract's schedule: a linear warmup, lr * (s + 1) / "
      "warmup_steps while s < warmup_steps, then half a cosine over the remaining steps - warmup_steps steps, "
      "lr * 0.5 * (1 + cos(pi * (s - warmup_steps) / (steps - warmup_steps))). Without warmup the first, "
      "largest gradients of a fresh network get the full learning rate.");
  const Arch a{4, 8, 2, 1};
  const double lr = 0.01 + 0.1 * torch::rand({1}, torch::kFloat64).item<double>();
  for (const auto& cfg : {config(a, 100, 10, 0.055, 1.0), config(a, 20, 1, lr, 1.0), config(a, 12, 5, lr, 1.0),
                          config(a, 7, 6, 1.0, 1.0)}) {
    std::vector<double> got, want;
    for (int64_t s = 0; s < cfg.steps; ++s) {
      want.push_back(reference::kata::learning_rate(s, as_reference(cfg)));
      got.push_back(kata::learning_rate(s, cfg));
    }
    KATA_ASSERT_OK(diff_per_step(got, want, "learning_rate(s, cfg)", describe_config(cfg), Tolerance{1e-12, 0}));
  }
}

// The loss, the gradient norm and the parameters of one train_step, the reference's on copies first.
std::optional<std::string> compare_step(const kata::Params& p, const Data& d, double lr, double max_grad_norm,
                                        const std::string& description, std::optional<Tolerance> tol = {}) {
  auto want = reference::kata::train_step(as_reference(p), d.x.clone(), d.y.clone(), lr, max_grad_norm);
  auto got = kata::train_step(p, d.x, d.y, lr, max_grad_norm);
  auto scalar = [](double v) { return torch::tensor(v, torch::kFloat64); };
  if (auto e = diff(scalar(got.loss), scalar(want.loss), "loss returned by train_step", description, tol)) return e;
  if (auto e =
          diff(scalar(got.grad_norm), scalar(want.grad_norm), "grad_norm returned by train_step", description, tol))
    return e;
  return diff_params(got.params, want.params, "after train_step", description, tol);
}

TEST(ExplodingGradients, TrainStepClipsBeforeUpdate) {
  kata_test::meaning(
      "One train_step from given parameters differs (depth 1, where 1/sqrt(depth) = 1, and the learning rate "
      "given: only the step itself can be wrong). The order is: loss, backward, clip the total gradient norm "
      "to max_grad_norm (clip_grad_norm_, which returns the norm before clipping), then p -= lr * grad. Clipping "
      "after the update rescales gradients that were already used: no update is ever clipped. Masks (a smaller "
      "clip, an elementwise clamp of the gradients or the loss, a skipped step) change the update too.");
  const std::vector<Arch> archs = {{3, 8, 1, 2}, {5, 6, 1, 1}};
  for (const auto& a : archs) {
    // Gradients 50 times max_grad_norm with a large loss, 3 times, and below it.
    for (const auto& [target_scale, times_over] : std::vector<std::pair<double, double>>{{30, 50}, {1, 3}, {1, 0.2}}) {
      auto p = random_params(a, torch::kFloat64, 1.5);
      auto d = make_data(16, a, torch::kFloat64, target_scale);
      const double lr = 0.05 + 0.1 * torch::rand({1}, torch::kFloat64).item<double>();
      const double norm = reference::kata::train_step(as_reference(p), d.x.clone(), d.y.clone(), lr, 1e300).grad_norm;
      const double max_grad_norm = norm / times_over;
      KATA_ASSERT_OK(compare_step(
          p, d, lr, max_grad_norm,
          fmt::format("train_step({}, {}, lr {}, max_grad_norm {} (the gradient norm is {:.4g}, {} times that))",
                      describe_arch(a), kata_test::describe({{"x", d.x}, {"y", d.y}}), lr, max_grad_norm, norm,
                      times_over)));
    }
  }
}

// ---- The whole program.

struct TrainCase {
  kata::Config cfg;
  int64_t n;
};

std::optional<std::string> compare_training(const TrainCase& r, torch::ScalarType dtype, Tolerance tol) {
  const Arch a{r.cfg.in_features, r.cfg.width, r.cfg.depth, r.cfg.out_features};
  auto d = make_data(r.n, a, dtype);
  const int64_t seed = random_seed();
  auto description = fmt::format("train(cfg, x, y, {}) with cfg = {}, {}", seed, describe_config(r.cfg),
                                 kata_test::describe({{"x", d.x}, {"y", d.y}}));
  auto want = reference::kata::train(as_reference(r.cfg), d.x.clone(), d.y.clone(), seed);
  auto got = kata::train(r.cfg, d.x, d.y, seed);
  if (auto e = diff_per_step(got.lr, want.lr, "learning rate", description, Tolerance{1e-12, 0})) return e;
  if (auto e = diff_per_step(got.loss, want.loss, "loss", description, tol)) return e;
  if (auto e = diff_per_step(got.grad_norm, want.grad_norm, "grad_norm", description, tol)) return e;
  return diff_params(got.params, want.params, "after training", description, tol);
}

TEST(ExplodingGradients, TrainFloat64) {
  kata_test::meaning(
      "The training run differs (the logged learning rate, loss or gradient norm of some step, or the final "
      "parameters). Every one of the colleague's bugs shows here; the four checks above each show one of them "
      "alone. If they pass, train must use the pieces as the contract says: init_parameters(cfg, seed) converted "
      "to x's dtype, then per step learning_rate(s, cfg) and train_step on the full batch, keeping its parameters.");
  for (const auto& r :
       {TrainCase{config({4, 16, 4, 1}, 16, 4, 0.08, 1.0), 32}, TrainCase{config({3, 8, 3, 2}, 12, 1, 0.1, 0.5), 24}}) {
    KATA_ASSERT_OK(compare_training(r, torch::kFloat64, kTrainFloat64));
  }
}

TEST(ExplodingGradients, TrainFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 data must give a float32 run: convert the float64 initial parameters to x's dtype "
                     "and build every other tensor from x's options.");
  kata_test::meaning("The float32 training run differs from the reference's in float32.");
  KATA_ASSERT_OK(
      compare_training(TrainCase{config({4, 16, 4, 1}, 12, 3, 0.08, 1.0), 32}, torch::kFloat32, kTrainFloat32));
}

TEST(ExplodingGradients, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach x and every parameter through forward: no .detach(), .data(), "
                     "NoGradGuard or values copied out with .item() inside forward.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "forward's output matches but a gradient does not: look for in-place writes into tensors "
                     "autograd saved, or a part computed outside autograd.");
  kata_test::meaning("A gradient of forward's output (with respect to x or a parameter) differs from the reference's.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    const Arch a{3, 8, 3, 2};
    auto p = random_params(a, dtype);
    auto x = torch::randn({5, a.in}, torch::TensorOptions().dtype(dtype));
    auto names = named(p);
    std::vector<torch::Tensor> leaves = {x};
    std::vector<std::string> leaf_names = {"x"};
    for (const auto& [name, t] : names) {
      leaves.push_back(t);
      leaf_names.push_back(name);
    }
    auto rebuild = [&](const std::vector<torch::Tensor>& in) {
      kata::Params q;
      size_t i = 1;
      q.w_in = in[i++];
      q.b_in = in[i++];
      for (int64_t l = 0; l < a.depth; ++l) {
        q.w1.push_back(in[i++]);
        q.b1.push_back(in[i++]);
        q.w2.push_back(in[i++]);
        q.b2.push_back(in[i++]);
      }
      q.w_out = in[i++];
      q.b_out = in[i++];
      return q;
    };
    auto weight = torch::randn({5, a.out}, x.options());
    auto want = kata_test::run_backward(
        [&](const std::vector<torch::Tensor>& in) {
          return reference::kata::forward(convert<reference::kata::Params>(rebuild(in), same), in[0]);
        },
        leaves, weight);
    auto got = kata_test::run_backward(
        [&](const std::vector<torch::Tensor>& in) { return kata::forward(rebuild(in), in[0]); }, leaves, weight);
    KATA_ASSERT_OK(kata_test::backward_diff(
        got, want, leaf_names, fmt::format("forward({}, {})", describe_arch(a), kata_test::describe("x", x))));
  }
}

TEST(ExplodingGradients, EdgeShapes) {
  kata_test::meaning(
      "One row, one input feature, one block or several outputs break a program that squeezes dimensions, "
      "hard-codes sizes or takes a size from the wrong tensor.");
  for (const auto& a : std::vector<Arch>{{1, 2, 1, 3}, {2, 3, 1, 1}}) {
    auto p = random_params(a, torch::kFloat64);
    auto x = torch::randn({1, a.in}, torch::kFloat64);
    KATA_ASSERT_OK(diff(kata::forward(p, x), reference::kata::forward(as_reference(p), x.clone()), "output of forward",
                        fmt::format("forward({}, {})", describe_arch(a), kata_test::describe("x", x))));
    KATA_ASSERT_OK(compare_training(TrainCase{config(a, 3, 1, 0.05, 1.0), 1}, torch::kFloat64, kTrainFloat64));
  }
}

TEST(ExplodingGradients, NonContiguousInputs) {
  kata_test::meaning(
      "Parameters or inputs that are views (weights stored transposed, x sliced from a wider tensor) give "
      "different results: .view() on a non-contiguous tensor or raw data_ptr indexing assumes a layout; use "
      "reshape, or the tensors as they are.");
  const Arch a{3, 8, 2, 2};
  auto p = random_params(a, torch::kFloat64);
  auto views = convert<kata::Params>(p, kata_test::non_contiguous);
  auto wide = torch::randn({9, 2 * a.in}, torch::kFloat64);
  auto x = wide.narrow(/*dim=*/1, a.in, a.in);
  auto description = fmt::format("{} (weights non-contiguous), {}", describe_arch(a), kata_test::describe("x", x));
  KATA_ASSERT_OK(diff(kata::forward(views, x), reference::kata::forward(as_reference(p), x.contiguous()),
                      "output of forward", "forward(" + description + ")"));
  auto d = make_data(9, a, torch::kFloat64);
  Data sliced{x, d.y};
  KATA_ASSERT_OK(compare_step(views, sliced, 0.1, 0.5, "train_step(" + description + ", lr 0.1, max_grad_norm 0.5)"));
}

TEST(ExplodingGradients, InputsUnchanged) {
  kata_test::meaning(
      "train_step or train wrote into x or y (an in-place op on the caller's tensor): callers reuse the data, "
      "so it must be left as it was.");
  const Arch a{3, 8, 2, 2};
  auto d = make_data(8, a, torch::kFloat64);
  auto x = d.x.clone(), y = d.y.clone();
  auto description = kata_test::describe({{"x", x}, {"y", y}});
  kata::train_step(random_params(a, torch::kFloat64), d.x, d.y, 0.1, 0.5);
  KATA_ASSERT_OK(diff(d.x, x, "x after train_step", description, Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(d.y, y, "y after train_step", description, Tolerance{0, 0}));
  kata::train(config(a, 3, 1, 0.05, 0.5), d.x, d.y, 7);
  KATA_ASSERT_OK(diff(d.x, x, "x after train", description, Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(d.y, y, "y after train", description, Tolerance{0, 0}));
}

}  // namespace

// Hidden tests for train_loop: the learner's kata::train against the reference, each training its own copy
// of the same freshly initialised model on the same data.
#include "kata_test.h"

#include <fmt/format.h>

#include "train_loop.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::Tolerance;

// A regression problem and the configuration to train on it.
struct Scenario {
  std::string name;
  int64_t n, in, hidden, out;
  torch::ScalarType dtype;
  double target_scale;  // larger targets give larger gradients
  kata::TrainConfig cfg;
};

// What one call of train left behind.
struct Outcome {
  std::vector<double> loss, grad_norm, lr;
  torch::nn::Sequential model;
};

struct Runs {
  Outcome learner, reference;
  std::string description;
};

// Float64 trajectories of differently written correct loops (a hand-written AdamW included) agree to ~1e-13;
// the bounds leave three orders of magnitude for rounding that accumulates over a run, and every wrong loop
// is off by far more. Float32 rounding is amplified by Adam's normalised steps, hence the looser bound.
const Tolerance kFloat64Tol{1e-9, 1e-12};
const Tolerance kFloat32Tol{1e-4, 1e-6};

Tolerance tolerance(const Scenario& s) { return s.dtype == torch::kFloat64 ? kFloat64Tol : kFloat32Tol; }

torch::nn::Sequential make_model(const Scenario& s) {
  torch::nn::Sequential model(torch::nn::Linear(s.in, s.hidden), torch::nn::Tanh(), torch::nn::Linear(s.hidden, s.out));
  model->to(s.dtype);
  return model;
}

// A second model with exactly the same initial parameters.
torch::nn::Sequential copy_of(const torch::nn::Sequential& model, const Scenario& s) {
  auto copy = make_model(s);
  torch::NoGradGuard no_grad;
  auto source = model->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().copy_(source[p.key()]);
  return copy;
}

std::string describe_scenario(const Scenario& s, const torch::Tensor& x, const torch::Tensor& y) {
  const auto& c = s.cfg;
  return fmt::format(
      "{} (model Linear({}, {}) Tanh Linear({}, {}); steps {}, batch_size {}, lr {}, warmup_steps {}, "
      "weight_decay {}, max_grad_norm {}), {}",
      s.name, s.in, s.hidden, s.hidden, s.out, c.steps, c.batch_size, c.lr, c.warmup_steps, c.weight_decay,
      c.max_grad_norm, kata_test::describe({{"x", x}, {"y", y}}));
}

// Trains the reference first (on its own copies of x and y), then the learner's loop on the originals.
Runs run_both(const Scenario& s) {
  auto opts = torch::TensorOptions().dtype(s.dtype);
  auto x = torch::randn({s.n, s.in}, opts);
  auto y = s.target_scale * torch::sin(torch::matmul(x, torch::randn({s.in, s.out}, opts))) +
           0.1 * torch::randn({s.n, s.out}, opts);
  auto reference_model = make_model(s);
  auto learner_model = copy_of(reference_model, s);

  Runs runs;
  runs.description = describe_scenario(s, x, y);
  auto want = reference::kata::train(reference_model, x.clone(), y.clone(),
                                     kata_test::as_reference<reference::kata::TrainConfig>(s.cfg));
  runs.reference = {want.loss, want.grad_norm, want.lr, reference_model};
  auto got = kata::train(learner_model, x, y, s.cfg);
  runs.learner = {got.loss, got.grad_norm, got.lr, learner_model};
  return runs;
}

kata::TrainConfig config(int64_t steps, int64_t batch_size, double lr, int64_t warmup_steps, double weight_decay,
                         double max_grad_norm) {
  kata::TrainConfig c;
  c.steps = steps;
  c.batch_size = batch_size;
  c.lr = lr;
  c.warmup_steps = warmup_steps;
  c.weight_decay = weight_decay;
  c.max_grad_norm = max_grad_norm;
  return c;
}

// Each scenario changes one thing from a plain run: 12 steps over exactly 12 batches (no wrap-around), no weight
// decay, a clipping threshold no gradient reaches.
const Scenario kPlain{"plain", 96, 5, 16, 3, torch::kFloat64, 1.0, config(12, 8, 1e-2, 4, 0.0, 1e6)};
const Scenario kClipped{"clipping active", 96, 5, 16, 3, torch::kFloat64, 3.0, config(12, 8, 1e-2, 4, 0.0, 0.05)};
const Scenario kDecay{"weight decay", 96, 5, 16, 3, torch::kFloat64, 1.0, config(12, 8, 5e-2, 4, 0.5, 1e6)};
const Scenario kWrapping{"batches wrap around", 24, 5, 16, 3, torch::kFloat64, 1.0, config(14, 8, 1e-2, 3, 0.0, 1e6)};
const Scenario kFull{"full run", 64, 6, 24, 2, torch::kFloat64, 2.0, config(60, 16, 1e-2, 10, 0.05, 1.0)};
const Scenario kFloat32{"float32", 64, 6, 24, 2, torch::kFloat32, 2.0, config(40, 16, 1e-2, 5, 0.05, 0.5)};

std::optional<std::string> diff_per_step(const std::vector<double>& got, const std::vector<double>& want,
                                         const std::string& what, const std::string& description, Tolerance tol) {
  return diff(torch::tensor(got, torch::kFloat64), torch::tensor(want, torch::kFloat64),
              what + " per step (index = step)", description, tol);
}

std::optional<std::string> diff_parameters(const Runs& runs, Tolerance tol) {
  auto got = runs.learner.model->named_parameters();
  for (const auto& want : runs.reference.model->named_parameters()) {
    auto what = fmt::format("parameter '{}' after training", want.key());
    if (auto e = diff(got[want.key()], want.value(), what, runs.description, tol)) return e;
  }
  return std::nullopt;
}

TEST(TrainLoop, LearningRateSchedule) {
  kata_test::meaning(
      "The logged learning rates differ from the schedule: warmup is lr * (s + 1) / warmup_steps "
      "for s < warmup_steps, then the cosine runs over the remaining steps - warmup_steps steps, "
      "from lr at s = warmup_steps towards 0.");
  // Warmup of several steps, of a single step, and a long run where the cosine gets close to 0.
  const std::vector<kata::TrainConfig> configs = {config(12, 8, 1e-2, 5, 0.0, 1e6), config(12, 8, 1e-2, 1, 0.0, 1e6),
                                                  config(60, 8, 3e-3, 10, 0.01, 1.0), config(4, 8, 1e-2, 3, 0.0, 1e6)};
  for (const auto& cfg : configs) {
    Scenario s = kPlain;
    s.cfg = cfg;
    auto runs = run_both(s);
    KATA_ASSERT_OK(
        diff_per_step(runs.learner.lr, runs.reference.lr, "learning rate", runs.description, Tolerance{1e-12, 0}));
  }
}

TEST(TrainLoop, LossTrajectory) {
  kata_test::meaning(
      "The per-step losses differ on a plain run (no clipping, no weight decay): log the mean "
      "squared error of the batch before the update, zero the gradients every step, and make "
      "sure the optimizer really uses the learning rate you log.");
  auto runs = run_both(kPlain);
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat64Tol));
}

TEST(TrainLoop, GradNormBeforeClipping) {
  kata_test::meaning(
      "The logged gradient norms differ: log the total L2 norm over all parameters' gradients "
      "of this step only, measured before clipping (clip_grad_norm_ returns it).");
  auto runs = run_both(kClipped);
  KATA_ASSERT_OK(
      diff_per_step(runs.learner.grad_norm, runs.reference.grad_norm, "gradient norm", runs.description, kFloat64Tol));
}

TEST(TrainLoop, ClippingActive) {
  kata_test::meaning(
      "With gradients above max_grad_norm the run differs: clip the total gradient norm to "
      "max_grad_norm after backward() and before optimizer.step(), over all parameters together.");
  auto runs = run_both(kClipped);
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat64Tol));
  KATA_ASSERT_OK(diff_parameters(runs, kFloat64Tol));
}

TEST(TrainLoop, DecoupledWeightDecay) {
  kata_test::meaning(
      "With weight_decay > 0 the run differs: use torch::optim::AdamW, whose decay shrinks the "
      "weights directly (decoupled), not Adam's weight_decay, which adds an L2 term to the gradient.");
  auto runs = run_both(kDecay);
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat64Tol));
  KATA_ASSERT_OK(diff_parameters(runs, kFloat64Tol));
}

TEST(TrainLoop, BatchOrder) {
  kata_test::meaning(
      "When steps * batch_size exceeds N the run differs: step s takes the batch_size rows "
      "starting at (s * batch_size) % N, in order, without shuffling.");
  auto runs = run_both(kWrapping);
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat64Tol));
}

TEST(TrainLoop, FinalParameters) {
  kata_test::meaning(
      "After a full run the model's parameters differ: train the model you were given in place "
      "(not a copy) and apply every step's update, the last one included.");
  auto runs = run_both(kFull);
  KATA_ASSERT_OK(diff_parameters(runs, kFloat64Tol));
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat64Tol));
}

TEST(TrainLoop, Float32Model) {
  kata_test::meaning(
      "A float32 model trains differently: keep every tensor in the dtype of the model and the "
      "data instead of building float64 ones.");
  auto runs = run_both(kFloat32);
  KATA_ASSERT_OK(diff_per_step(runs.learner.loss, runs.reference.loss, "loss", runs.description, kFloat32Tol));
  KATA_ASSERT_OK(diff_parameters(runs, kFloat32Tol));
}

TEST(TrainLoop, InputsUnchanged) {
  kata_test::meaning(
      "The loop wrote into x or y (an in-place op on a batch slice writes into the data): callers "
      "reuse the data, so it must be left as it was.");
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto x = torch::randn({kWrapping.n, kWrapping.in}, opts);
  auto y = torch::randn({kWrapping.n, kWrapping.out}, opts);
  auto x_before = x.clone(), y_before = y.clone();
  auto model = make_model(kWrapping);
  kata::train(model, x, y, kWrapping.cfg);
  auto description = kata_test::describe({{"x", x_before}, {"y", y_before}});
  KATA_ASSERT_OK(diff(x, x_before, "x after the call", description, Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(y, y_before, "y after the call", description, Tolerance{0, 0}));
}

}  // namespace

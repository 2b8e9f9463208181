// Hidden tests for adamw: the learner's kata::AdamW, driven in the worker by the drivers of driver.h, against
// torch::optim::AdamW and the reference run here on the same parameters and gradients, step by step: float64
// and float32 parameters, parameters without a gradient on some steps, a large eps, 0-dim and size-1
// parameters, transposed parameters, mixed dtypes, gradients left unchanged, zero_grad(), and a small model
// trained with backward() in the worker.
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "adamw.h"
#include "driver.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

// One parameter of a scenario, and the gradients it gets.
struct ParamSpec {
  std::vector<int64_t> shape;
  torch::ScalarType dtype;
  double grad_scale;                   // gradients are randn * grad_scale
  std::vector<int64_t> no_grad_steps;  // the steps (1-based) at which it gets no grad
  bool never_grad = false;             // no grad at any step
  bool transposed = false;             // stored with its last two dimensions swapped (non-contiguous)
};

struct Scenario {
  std::string description;
  std::vector<torch::Tensor> params;              // initial values
  std::vector<std::vector<torch::Tensor>> grads;  // [step][i], undefined: no grad
  kata::AdamWOptions options;
};

kata::AdamWOptions options(double lr, double beta1, double beta2, double eps, double weight_decay) {
  kata::AdamWOptions o;
  o.lr = lr;
  o.beta1 = beta1;
  o.beta2 = beta2;
  o.eps = eps;
  o.weight_decay = weight_decay;
  return o;
}

std::string describe_options(const kata::AdamWOptions& o) {
  return fmt::format("lr {}, betas ({}, {}), eps {}, weight_decay {}", o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
}

Scenario make_scenario(const std::vector<ParamSpec>& specs, int64_t steps, const kata::AdamWOptions& o) {
  Scenario s;
  s.options = o;
  std::vector<std::string> parts;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& spec = specs[i];
    auto p = torch::randn(spec.shape, torch::TensorOptions().dtype(spec.dtype));
    if (spec.transposed) p = kata_test::non_contiguous(p);
    s.params.push_back(p);
    std::string part =
        fmt::format("{} (gradients randn * {}", kata_test::describe(fmt::format("p{}", i), p), spec.grad_scale);
    if (spec.never_grad) part += ", never a grad";
    if (!spec.no_grad_steps.empty()) part += fmt::format(", no grad at steps {}", fmt::join(spec.no_grad_steps, ", "));
    parts.push_back(part + ")");
  }
  for (int64_t step = 1; step <= steps; ++step) {
    std::vector<torch::Tensor> grads;
    for (const auto& spec : specs) {
      auto g = torch::randn(spec.shape, torch::TensorOptions().dtype(spec.dtype)) * spec.grad_scale;
      bool none = spec.never_grad ||
                  std::find(spec.no_grad_steps.begin(), spec.no_grad_steps.end(), step) != spec.no_grad_steps.end();
      grads.push_back(none ? torch::Tensor() : g);
    }
    s.grads.push_back(grads);
  }
  s.description = fmt::format("{}; {} steps of zero_grad(), grads set, step(); {}; seed {}", fmt::join(parts, ", "),
                              steps, describe_options(o), kata_test::run_seed());
  return s;
}

torch::optim::AdamWOptions libtorch_options(const kata::AdamWOptions& o) {
  return torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay);
}

// The driver's loop on the trusted side, with LibTorch's AdamW and with the reference.
kata::AdamWTrace with_libtorch(const Scenario& s) {
  auto params = kata::fresh_leaves(s.params);
  torch::optim::AdamW optimizer(params, libtorch_options(s.options));
  return kata::replay_steps(optimizer, params, s.grads);
}
kata::AdamWTrace with_reference(const Scenario& s) {
  auto params = kata::fresh_leaves(s.params);
  reference::kata::AdamW optimizer(params, kata_test::as_reference<reference::kata::AdamWOptions>(s.options));
  return kata::replay_steps(optimizer, params, s.grads);
}
kata::AdamWTrace with_learner(const Scenario& s) { return kata::run_adamw(s.params, s.grads, s.options); }

// Parameter i's values after every step, stacked: [steps, ...its shape].
std::optional<torch::Tensor> trajectory(const kata::AdamWTrace& t, size_t i) {
  std::vector<torch::Tensor> steps;
  for (const auto& values : t.params) {
    if (i >= values.size() || !values[i].defined()) return std::nullopt;
    steps.push_back(values[i]);
  }
  if (steps.empty()) return std::nullopt;
  return torch::stack(steps);
}

// Every parameter's trajectory against LibTorch's AdamW, then against the reference. `initial` (when given):
// the parameters before the first step, to say so when one never changed.
std::optional<std::string> diff_trajectories(const kata::AdamWTrace& got, const kata::AdamWTrace& libtorch,
                                             const kata::AdamWTrace& reference, const std::string& description,
                                             const std::vector<torch::Tensor>& initial = {}) {
  if (got.params.size() != libtorch.params.size())
    return fmt::format("the driver recorded {} steps, expected {}\ncase: {}", got.params.size(), libtorch.params.size(),
                       description);
  const size_t n = libtorch.params.empty() ? 0 : libtorch.params[0].size();
  for (size_t i = 0; i < n; ++i) {
    auto mine = trajectory(got, i);
    if (!mine) return fmt::format("parameter p{} is missing from a step's record\ncase: {}", i, description);
    for (const auto& [want, against] :
         {std::pair{&libtorch, "torch::optim::AdamW"}, std::pair{&reference, "the reference"}}) {
      auto what = fmt::format("p{} after each step (dim 0 = step - 1) vs. {}", i, against);
      if (auto e = diff(*mine, *trajectory(*want, i), what, description)) {
        if (i < initial.size() && mine->equal(initial[i].unsqueeze(0).expand_as(*mine))) {
          auto& findings = kata_test::evidence().findings;
          findings.insert(findings.begin(),
                          fmt::format("p{} never changed: after every step it still holds its initial values (an "
                                      "update that never reaches the caller's tensor: out of place, or on a copy?)",
                                      i));
        }
        return e;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_steps(const Scenario& s) {
  auto libtorch = with_libtorch(s);
  auto reference = with_reference(s);
  return diff_trajectories(with_learner(s), libtorch, reference, s.description, s.params);
}

// Gradients of three magnitudes: 1e-3 (where eps and its placement matter), 1 and 30; a beta2 of 0.99 keeps
// the bias corrections far from 1 for all 12 steps, and lr * weight_decay = 5e-3 makes the decay's form visible.
std::vector<ParamSpec> three_params(torch::ScalarType dtype) {
  return {{{4, 3}, dtype, 1e-3}, {{6}, dtype, 1.0}, {{2, 3, 2}, dtype, 30.0}};
}
const kata::AdamWOptions kMain = options(0.05, 0.9, 0.99, 1e-8, 0.1);

TEST(AdamW, StepsFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Keep the state in the parameter's dtype: torch::zeros(p.sizes()) is float32 whatever p is, and "
                     "an in-place update (m.mul_(beta1).add_(g, ...)) keeps it float32; use torch::zeros_like(p).");
  kata_test::meaning(
      "Your parameters differ from torch::optim::AdamW's after some step. Per parameter with a grad, in this "
      "order: t += 1; p *= 1 - lr * weight_decay (decoupled: not added to the gradient); m = beta1 m + (1 - beta1) "
      "g; v = beta2 v + (1 - beta2) g^2; p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps). m and v "
      "persist across steps. Update p in place (p.mul_, p.sub_, p.addcdiv_ under torch::NoGradGuard): p = p - ... "
      "only rebinds your handle, and the caller's tensor never changes.");
  KATA_ASSERT_OK(check_steps(make_scenario(three_params(torch::kFloat64), 12, kMain)));
}

TEST(AdamW, StepsFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "A float32 parameter stays float32: create m and v with torch::zeros_like(p).");
  kata_test::meaning("float32 parameters must follow torch::optim::AdamW's float32 trajectory.");
  KATA_ASSERT_OK(check_steps(make_scenario(three_params(torch::kFloat32), 12, options(1e-2, 0.9, 0.999, 1e-8, 0.1))));
}

TEST(AdamW, ParamsWithoutGrad) {
  kata_test::meaning(
      "A parameter whose grad is undefined at a step (no gradient reached it) must be skipped entirely: no "
      "weight decay, no change to its m and v, and its step count t does not advance. t is per parameter (one "
      "count per parameter, like torch::optim's per-parameter state), not a count of step() calls shared by all.");
  std::vector<ParamSpec> specs = {{{3, 4}, torch::kFloat64, 1.0, {2, 5, 6}},
                                  {{5}, torch::kFloat64, 0.5, {3, 4}},
                                  {{2, 2}, torch::kFloat64, 2.0},
                                  {{3}, torch::kFloat64, 1.0, {}, /*never_grad=*/true}};
  KATA_ASSERT_OK(check_steps(make_scenario(specs, 8, kMain)));
}

TEST(AdamW, LargeEps) {
  kata_test::meaning(
      "With eps = 1e-3 and gradients of 1e-3 the denominator is sqrt(v / (1 - beta2^t)) + eps: eps is added "
      "outside the square root, to the bias-corrected sqrt(v_hat). sqrt(v_hat + eps), or the Adam paper's "
      "'efficient' form (step size lr * sqrt(1 - beta2^t) / (1 - beta1^t) with eps added to the uncorrected "
      "sqrt(v)), give other updates.");
  std::vector<ParamSpec> specs = {
      {{5, 2}, torch::kFloat64, 1e-3}, {{4}, torch::kFloat64, 1e-2}, {{3}, torch::kFloat64, 1.0}};
  KATA_ASSERT_OK(check_steps(make_scenario(specs, 10, options(1e-2, 0.9, 0.999, 1e-3, 0.1))));
}

TEST(AdamW, EdgeShapes) {
  kata_test::meaning(
      "0-dim and size-1 parameters ([], [1], [1, 1], [1, 4, 1]) must work like any other: use whole-tensor ops, "
      "no indexing of p[0], no squeeze, and no assumption that p has a first dimension.");
  std::vector<ParamSpec> specs = {{{}, torch::kFloat64, 1.0},
                                  {{1}, torch::kFloat64, 0.1},
                                  {{1, 1}, torch::kFloat64, 3.0},
                                  {{1, 4, 1}, torch::kFloat64, 1e-3}};
  KATA_ASSERT_OK(check_steps(make_scenario(specs, 8, kMain)));
}

TEST(AdamW, NonContiguousParams) {
  kata_test::meaning(
      "A transposed (non-contiguous) parameter must be updated in place like any other: p.reshape(-1), "
      "p.contiguous() or p.flatten() of a non-contiguous tensor is a copy, so updating that copy leaves the "
      "parameter unchanged, and p.view(-1) throws. Apply the ops to p itself (and create m, v with zeros_like).");
  // A contiguous parameter first: an update that reaches no parameter fails there, one that only misses the
  // non-contiguous ones on the next.
  std::vector<ParamSpec> specs = {{{6}, torch::kFloat64, 2.0},
                                  {{5, 3}, torch::kFloat64, 1.0, {}, false, /*transposed=*/true},
                                  {{2, 4, 3}, torch::kFloat64, 0.3, {}, false, /*transposed=*/true}};
  KATA_ASSERT_OK(check_steps(make_scenario(specs, 8, kMain)));
}

TEST(AdamW, MixedDtypes) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "Each parameter keeps its own dtype: make each one's state with zeros_like(p).");
  kata_test::meaning("One optimiser holding float32 and float64 parameters must update each in its own dtype.");
  std::vector<ParamSpec> specs = {
      {{3, 4}, torch::kFloat32, 1.0}, {{5}, torch::kFloat64, 1e-2}, {{2}, torch::kFloat32, 10.0}};
  KATA_ASSERT_OK(check_steps(make_scenario(specs, 8, kMain)));
}

TEST(AdamW, GradientsUnchanged) {
  kata_test::meaning(
      "step() changed p.grad(): an in-place op on the gradient (g.mul_(g) for the square, g.add_(p, wd), "
      "g.mul_(1 - beta1)) writes into the tensor the caller reads (gradient clipping, logging and accumulation all "
      "read it). Use the out-of-place forms (g * g, addcmul_ into v).");
  auto s = make_scenario(three_params(torch::kFloat64), 4, kMain);
  auto got = with_learner(s);
  if (got.grads.size() != s.grads.size())
    FAIL() << "the driver recorded the wrong number of steps\ncase: " << s.description;
  for (size_t step = 0; step < s.grads.size(); ++step)
    for (size_t i = 0; i < s.grads[step].size(); ++i)
      KATA_ASSERT_OK(diff(i < got.grads[step].size() ? got.grads[step][i] : torch::Tensor(), s.grads[step][i],
                          fmt::format("p{}.grad() after step() of step {} (vs. the gradient given)", i, step + 1),
                          s.description, kata_test::Tolerance{0, 0}));
}

TEST(AdamW, ZeroGrad) {
  kata_test::meaning(
      "After zero_grad() every parameter's grad must be all zeros or undefined (p.mutable_grad() = "
      "torch::Tensor(), or p.mutable_grad().zero_() when it is defined); otherwise the next backward() adds to the "
      "old gradients. It must also work while grads are still undefined (it is called before the first backward).");
  auto s = make_scenario(three_params(torch::kFloat64), 3, kMain);
  auto got = with_learner(s);
  for (size_t i = 0; i < s.params.size(); ++i) {
    torch::Tensor g = i < got.after_zero_grad.size() ? got.after_zero_grad[i] : torch::Tensor();
    bool cleared = !g.defined() || (g.numel() == 0) || (g == 0).all().item<bool>();
    KATA_ASSERT_OK(kata_test::property(
        cleared, fmt::format("p{}.grad() after zero_grad() is zeros or undefined", i),
        fmt::format("p{}.grad() after zero_grad() still holds the last gradient's values (not zeros, not undefined)\n"
                    "case: {}",
                    i, s.description)));
  }
}

// A small regression model trained with backward() in the worker, against the same model trained here with
// torch::optim::AdamW and with the reference.
torch::nn::Sequential make_model(int64_t in, int64_t hidden, int64_t out) {
  torch::nn::Sequential model(torch::nn::Linear(in, hidden), torch::nn::Tanh(), torch::nn::Linear(hidden, out));
  model->to(torch::kFloat64);
  return model;
}
torch::nn::Sequential copy_of(const torch::nn::Sequential& model, int64_t in, int64_t hidden, int64_t out) {
  auto copy = make_model(in, hidden, out);
  torch::NoGradGuard no_grad;
  auto source = model->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().copy_(source[p.key()]);
  return copy;
}

TEST(AdamW, TrainsModel) {
  kata_test::meaning(
      "Training a small model (zero_grad(), forward, backward(), step() each step) with your AdamW differs from "
      "training it with torch::optim::AdamW: the per-step losses or the weights drift apart. zero_grad() must "
      "clear the gradients backward() accumulates into, and step() must update model->parameters() in place.");
  const int64_t in = 3, hidden = 16, out = 2, n = 24, steps = 50;
  const auto o = options(1e-2, 0.9, 0.99, 1e-8, 0.1);
  auto x = torch::randn({n, in}, torch::kFloat64);
  auto y = 2.0 * torch::sin(torch::matmul(x, torch::randn({in, out}, torch::kFloat64))) +
           0.1 * torch::randn({n, out}, torch::kFloat64);
  auto libtorch_model = make_model(in, hidden, out);
  auto reference_model = copy_of(libtorch_model, in, hidden, out);
  auto learner_model = copy_of(libtorch_model, in, hidden, out);
  const auto description =
      fmt::format("model Linear({}, {}) Tanh Linear({}, {}) float64, {} full-batch steps of mean-squared error, {}, {}",
                  in, hidden, hidden, out, steps, describe_options(o), kata_test::describe({{"x", x}, {"y", y}}));

  torch::optim::AdamW libtorch_optimizer(libtorch_model->parameters(), libtorch_options(o));
  auto libtorch = kata::train_steps(libtorch_optimizer, libtorch_model, x, y, steps);
  reference::kata::AdamW reference_optimizer(reference_model->parameters(),
                                             kata_test::as_reference<reference::kata::AdamWOptions>(o));
  auto reference = kata::train_steps(reference_optimizer, reference_model, x, y, steps);
  auto got = kata::train_adamw(learner_model, x, y, o, steps);

  auto as_tensor = [](const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64); };
  KATA_ASSERT_OK(diff(as_tensor(got.loss), as_tensor(libtorch.loss),
                      "loss before each step's update (index = step - 1) vs. torch::optim::AdamW", description));
  KATA_ASSERT_OK(diff_trajectories(got, libtorch, reference, description));
  auto trained = learner_model->named_parameters();
  for (const auto& want : libtorch_model->named_parameters())
    KATA_ASSERT_OK(diff(trained[want.key()], want.value(),
                        fmt::format("model parameter '{}' after training vs. torch::optim::AdamW", want.key()),
                        description));
}

}  // namespace

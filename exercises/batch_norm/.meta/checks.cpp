// Hidden tests for batch_norm: the learner's kata::BatchNorm1d (built in the worker, mirrored here with its
// parameters and buffers by name, its mode sent with every call) against reference::kata::BatchNorm1d driven
// through the same calls, and against LibTorch's own torch::nn::BatchNorm1d: training outputs in float64 and
// float32 for [N, C] and [N, C, L] inputs, gradients w.r.t. x, weight and bias in training and in eval, the
// running statistics and num_batches_tracked after one and after several training calls, eval with the
// running statistics and nothing updated, train -> eval -> train sequences, a large eps and a momentum of 0.3,
// edge shapes (C = 1, L = 1, N = 1), non-contiguous inputs, and x left unchanged.
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "batch_norm.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

struct Config {
  int64_t C;
  double eps = 1e-5, momentum = 0.1;
};

struct Case {
  std::vector<int64_t> shape;  // [N, C] or [N, C, L]
  Config config;
};

std::string describe_config(const Config& c) {
  return fmt::format("BatchNorm1d(num_features={}, eps={}, momentum={})", c.C, c.eps, c.momentum);
}

const std::vector<std::string> kBuffers = {"running_mean", "running_var", "num_batches_tracked"};

// Inputs whose statistics cannot come out right by accident: every channel has its own mean (1 to 5 away
// from 0, either sign) and its own spread (0.5 to 2), and the batches are small (n = N * L from 2 to 24), so
// n / (n - 1) is at least 1.04 and a variance with the wrong divisor, statistics over the wrong dims or a
// running estimate weighted the wrong way round are off by far more than any tolerance.
torch::Tensor random_x(const std::vector<int64_t>& shape, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  std::vector<int64_t> per_channel(shape.size(), 1);
  per_channel[1] = shape[1];
  auto sign = torch::randint(0, 2, per_channel, opts) * 2 - 1;
  auto shift = sign * (1 + 4 * torch::rand(per_channel, opts));
  auto scale = 0.5 + 1.5 * torch::rand(per_channel, opts);
  return torch::randn(shape, opts) * scale + shift;
}

// The first training case is 3-D with L > 1 and eps 0.1 (so eps misplaced shows far beyond float32 rounding),
// the second 2-D with C > 1 (statistics over dims {0, -1} take C too there), then a 2-D batch of 3 (n / (n - 1)
// = 1.5) with eps 0.5 and momentum 0.3, and more shapes.
const std::vector<Case> kTrainCases = {
    {{4, 3, 5}, {3, 0.1, 0.1}},   {{5, 4}, {4, 1e-5, 0.1}},  {{2, 5, 3}, {5, 1e-5, 0.1}},
    {{3, 2}, {2, 0.5, 0.3}},      {{2, 6, 4}, {6, 1e-3, 0.1}}, {{6, 3, 2}, {3, 1e-5, 0.3}},
};

// A learner module and a reference module of one config and dtype, with the same random weight (near 1) and
// bias (near 0), and, when `random_state`, the same random running statistics and num_batches_tracked = 7.
struct Modules {
  kata::BatchNorm1d learner{nullptr};
  reference::kata::BatchNorm1d reference{nullptr};
  Config config;
  std::optional<std::string> error;  // the learner's module does not hold the contract's state
};

// What in the learner's parameters and buffers differs from the contract (names, shapes, dtypes), or nullopt.
std::optional<std::string> state_mismatch(const torch::nn::Module& learner, const torch::nn::Module& reference) {
  if (auto e = kata_test::contract_mismatch(learner, reference)) return e;
  auto mine = learner.named_buffers(), want = reference.named_buffers();
  for (const auto& name : kBuffers) {
    const torch::Tensor* found = mine.find(name);
    if (!found)
      return kata_test::property(false, "buffer " + name,
                                 fmt::format("your module has no buffer named {}: register it with "
                                             "register_buffer(\"{}\", ...) (a plain member, or "
                                             "register_parameter, is not a buffer)",
                                             name, name));
    if (auto e = diff(*found, want[name], "buffer " + name + " of a new module",
                      "the contract: running_mean zeros [C], running_var ones [C], num_batches_tracked int64 0-dim 0",
                      kata_test::Tolerance{0, 0}))
      return e;
  }
  return std::nullopt;
}

void set_state(torch::nn::Module& module, const std::string& name, const torch::Tensor& value) {
  torch::NoGradGuard no_grad;
  if (auto* p = module.named_parameters().find(name)) {
    p->copy_(value);
  } else if (auto* b = module.named_buffers().find(name)) {
    b->copy_(value);
  }
}

Modules make_modules(const Config& c, torch::ScalarType dtype, bool random_state = false) {
  Modules m{kata::BatchNorm1d(c.C, c.eps, c.momentum), reference::kata::BatchNorm1d(c.C, c.eps, c.momentum), c};
  m.learner->to(dtype);
  m.reference->to(dtype);
  m.error = state_mismatch(*m.learner, *m.reference);
  if (m.error) return m;
  auto opts = torch::TensorOptions().dtype(dtype);
  std::vector<std::pair<std::string, torch::Tensor>> state = {{"weight", 1 + 0.5 * torch::randn({c.C}, opts)},
                                                              {"bias", 0.5 * torch::randn({c.C}, opts)}};
  if (random_state) {
    state.push_back({"running_mean", 3 * torch::randn({c.C}, opts)});
    state.push_back({"running_var", 0.5 + 2 * torch::rand({c.C}, opts)});
    state.push_back({"num_batches_tracked", torch::full({}, 7, m.reference->num_batches_tracked.options())});
  }
  for (const auto& [name, value] : state) {
    set_state(*m.reference, name, value);
    set_state(*m.learner, name, value);
  }
  return m;
}

std::string load_failure(const Modules& m) {
  return fmt::format("your module does not hold the contract's parameters and buffers:\n  {}\ncase: {}", *m.error,
                     describe_config(m.config));
}

std::string mode_of(const torch::nn::Module& module) { return module.is_training() ? "training" : "eval"; }

std::string describe_call(const Modules& m, const torch::Tensor& x, const std::string& before = "") {
  return fmt::format("{}, {}{}, {}", describe_config(m.config), mode_of(*m.reference),
                     before.empty() ? "" : ", after " + before, kata_test::describe({{"x", x}}));
}

// Both modules' forward on x (the reference first, on its own copy, so a learner that writes into x cannot
// change what it is compared with); the outputs compared.
std::optional<std::string> forward_diff(Modules& m, const torch::Tensor& x, const std::string& what,
                                        const std::string& case_description) {
  auto want = m.reference->forward(x.clone());
  return diff(m.learner->forward(x), want, what, case_description);
}

// The learner's buffers against the reference's, by name, in the order running_mean, running_var,
// num_batches_tracked.
std::optional<std::string> buffers_diff(const torch::nn::Module& learner, const torch::nn::Module& reference,
                                        const std::string& when, const std::string& case_description) {
  auto mine = learner.named_buffers(), want = reference.named_buffers();
  for (const auto& name : kBuffers) {
    const torch::Tensor* found = mine.find(name);
    if (!found) return kata_test::property(false, name, "your module has no buffer named " + name);
    if (auto e = diff(*found, want[name], fmt::format("{} {}", name, when), case_description)) return e;
  }
  return std::nullopt;
}

// Output and gradients w.r.t. x, weight and bias of sum(forward(x) * w) for a random w, against the reference's.
// In float32 the gradient w.r.t. x is a difference of terms scaled by 1 / sqrt(var + eps), which a small batch
// with a small eps makes large: a correct solution that orders the sums otherwise (var_mean over a channels-last
// view) differed by 3.7e-5 on a gradient of 2.05 (seed 55), past float32's default tolerance. Wrong statistics
// still show in the float64 run, at 1e-10.
constexpr kata_test::Tolerance kFloat32Gradients{1e-4, 1e-4};

std::optional<std::string> gradients_diff(Modules& m, const torch::Tensor& x, const std::string& case_description) {
  auto w = torch::randn_like(x);
  const std::vector<std::string> params = {"weight", "bias"};
  auto want = kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return m.reference->forward(in[0]); },
                                      {x}, w, kata_test::parameters_named(*m.reference, params));
  auto got = kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return m.learner->forward(in[0]); },
                                     {x}, w, kata_test::parameters_named(*m.learner, params));
  std::optional<kata_test::Tolerance> tol;
  if (x.scalar_type() == torch::kFloat32) tol = kFloat32Gradients;
  return kata_test::backward_diff(got, want, {"x", "weight", "bias"}, case_description, tol);
}

void expect_training_outputs(torch::ScalarType dtype) {
  for (const auto& k : kTrainCases) {
    auto m = make_modules(k.config, dtype);
    if (m.error) FAIL() << load_failure(m);
    auto x = random_x(k.shape, dtype);
    KATA_ASSERT_OK(forward_diff(m, x, "output", describe_call(m, x)));
  }
}

const char* kStatisticsAdvice =
    "Per channel c, over every other dim: mean = x.mean(dims), var = (x - mean)^2 averaged the same way (biased, "
    "divide by n = N * L), with dims {0} for [N, C] and {0, 2} for [N, C, L]; then (x - mean) / sqrt(var + eps) "
    "* weight + bias, each [C] tensor viewed as [1, C] or [1, C, 1] so that it lines up with dim 1.";

// ---- The contract's state

TEST(BatchNorm1d, ParametersAndBuffers) {
  kata_test::meaning(
      "The module must register, under exactly these names: parameters weight (ones) and bias (zeros), and "
      "buffers running_mean (zeros) and running_var (ones), all [num_features] in the default dtype, and "
      "num_batches_tracked, torch::tensor(0, torch::kLong), an int64 0-dim buffer. The judge reads and writes "
      "them by name, as state_dict does.");
  for (int64_t C : {3, 1}) {
    kata::BatchNorm1d learner(C);
    reference::kata::BatchNorm1d reference(C);
    if (auto e = state_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config({C});
    for (const auto& name : {"weight", "bias"}) {
      KATA_ASSERT_OK(diff(learner->named_parameters()[name], reference->named_parameters()[name],
                          fmt::format("parameter {} of a new module", name), describe_config({C}),
                          kata_test::Tolerance{0, 0}));
    }
  }
}

// ---- Training: the batch's statistics

TEST(BatchNorm1d, TrainingOutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "A float64 run off by float32-sized errors: a constant or a statistic made in float32 "
                     "(torch::ones({C}) without options inside forward, .to(torch::kFloat)). Keep x's dtype.");
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "The output must have x's shape: a [C] statistic subtracted from [N, C, L] broadcasts against "
                     "L, not C; view it as [1, C, 1].");
  kata_test::meaning(std::string("The training output differs (a fresh module, one call). ") + kStatisticsAdvice);
  expect_training_outputs(torch::kFloat64);
}

TEST(BatchNorm1d, TrainingOutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "A float32 module with float32 x gives float32 out: build any constant with x.options().");
  kata_test::meaning("float32 inputs (a float32 module) must give the same output, in float32.");
  expect_training_outputs(torch::kFloat32);
}

TEST(BatchNorm1d, TrainingGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Build the output from differentiable tensor ops on x, weight and bias: no NoGradGuard around "
                     "the normalisation, no .detach() of x, no values rebuilt from .item().");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The output matches but a gradient does not: in training the batch mean and variance are "
                     "functions of x, and dL/dx goes through them too (it is what makes each channel's gradient "
                     "sum to zero). Detach only what goes into the running statistics, not the statistics you "
                     "normalise with.");
  kata_test::meaning(
      "A gradient w.r.t. x, weight or bias in training mode differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& k : kTrainCases) {
      auto m = make_modules(k.config, dtype);
      if (m.error) FAIL() << load_failure(m);
      auto x = random_x(k.shape, dtype);
      KATA_ASSERT_OK(gradients_diff(m, x, describe_call(m, x)));
    }
  }
}

// ---- Training: the running statistics

const char* kRunningAdvice =
    "After each training call: running_mean = (1 - momentum) * running_mean + momentum * mean, running_var = "
    "(1 - momentum) * running_var + momentum * var * n / (n - 1) (the UNBIASED variance, n = N * L), "
    "num_batches_tracked += 1, all three in place (mul_, add_, lerp_, copy_ under NoGradGuard): `running_mean = "
    "...` rebinds the C++ member and leaves the registered buffer, the one the judge and state_dict read, as it "
    "was.";

TEST(BatchNorm1d, RunningStatsAfterOneCall) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "num_batches_tracked is an int64 0-dim buffer (torch::tensor(0, torch::kLong)); += 1 keeps "
                     "its dtype. running_mean and running_var keep the module's dtype.");
  kata_test::meaning(std::string("The buffers after one training call differ from the reference's. ") + kRunningAdvice);
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& k : kTrainCases) {
      auto m = make_modules(k.config, dtype);
      if (m.error) FAIL() << load_failure(m);
      auto x = random_x(k.shape, dtype);
      const std::string what_case = describe_call(m, x);
      m.reference->forward(x);
      m.learner->forward(x);
      KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after one training call", what_case));
    }
  }
}

TEST(BatchNorm1d, RunningStatsAfterSeveralCalls) {
  kata_test::meaning(std::string("Driven through several training calls (2-D and 3-D batches of different sizes, "
                                 "from random running statistics and num_batches_tracked = 7), an output or a "
                                 "buffer differs from the reference's. ") +
                     kRunningAdvice);
  const std::vector<std::vector<int64_t>> shapes = {{3, 4, 6}, {2, 4, 2}, {5, 4}, {4, 4, 1}, {2, 4}};
  for (const auto& c : {Config{4, 1e-5, 0.1}, Config{4, 1e-3, 0.3}}) {
    auto m = make_modules(c, torch::kFloat64, /*random_state=*/true);
    if (m.error) FAIL() << load_failure(m);
    std::string calls;
    for (const auto& shape : shapes) {
      auto x = random_x(shape, torch::kFloat64);
      const std::string what_case = describe_call(m, x, calls.empty() ? "" : "training calls on " + calls);
      KATA_ASSERT_OK(forward_diff(m, x, "output", what_case));
      KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after the call", what_case));
      calls += (calls.empty() ? "" : ", ") + kata_test::shape_of(x);
    }
  }
}

// ---- Eval: the running statistics, nothing updated

const char* kEvalAdvice =
    "In eval mode (is_training() false) normalise with the buffers: (x - running_mean) / sqrt(running_var + eps) "
    "* weight + bias, and change nothing: no running update, num_batches_tracked stays.";

TEST(BatchNorm1d, EvalUsesRunningStats) {
  kata_test::meaning(std::string("After eval(), from random running statistics, the output or a buffer differs. ") +
                     kEvalAdvice);
  const std::vector<Case> cases = {
      {{4, 3, 5}, {3, 1e-5, 0.1}}, {{5, 4}, {4, 0.1, 0.3}}, {{1, 2, 3}, {2, 1e-5, 0.1}}, {{1, 3}, {3, 1e-3, 0.1}}};
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& k : cases) {
      auto m = make_modules(k.config, dtype, /*random_state=*/true);
      if (m.error) FAIL() << load_failure(m);
      m.learner->eval();
      m.reference->eval();
      auto x = random_x(k.shape, dtype);
      const std::string what_case = describe_call(m, x);
      KATA_ASSERT_OK(forward_diff(m, x, "output", what_case));
      KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after an eval call (must be unchanged)", what_case));
    }
  }
}

TEST(BatchNorm1d, EvalGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "In eval the output still depends on x, weight and bias: build it from differentiable ops.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The output matches but a gradient does not: in eval the running statistics are constants, "
                     "so dL/dx = dL/dy * weight / sqrt(running_var + eps).");
  kata_test::meaning(std::string("A gradient w.r.t. x, weight or bias in eval mode differs. ") + kEvalAdvice);
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& k : kTrainCases) {
      auto m = make_modules(k.config, dtype, /*random_state=*/true);
      if (m.error) FAIL() << load_failure(m);
      m.learner->eval();
      m.reference->eval();
      auto x = random_x(k.shape, dtype);
      KATA_ASSERT_OK(gradients_diff(m, x, describe_call(m, x)));
    }
  }
}

TEST(BatchNorm1d, TrainEvalTrain) {
  kata_test::meaning(
      "Switching modes, the module goes wrong: each call must follow the mode it is in NOW (is_training()), "
      "training calls update the running statistics, eval calls use them and update nothing, and training "
      "after eval carries on from the running statistics as they were.");
  for (const auto& c : {Config{3, 1e-5, 0.1}, Config{2, 0.5, 0.3}}) {
    auto m = make_modules(c, torch::kFloat64);
    if (m.error) FAIL() << load_failure(m);
    const std::vector<std::pair<bool, std::vector<int64_t>>> calls = {
        {true, {4, c.C, 3}}, {false, {3, c.C, 3}}, {true, {5, c.C}}, {false, {1, c.C}}, {false, {2, c.C, 4}},
        {true, {2, c.C, 2}}, {false, {4, c.C}}};
    std::string history;
    for (const auto& [training, shape] : calls) {
      m.learner->train(training);
      m.reference->train(training);
      auto x = random_x(shape, torch::kFloat64);
      const std::string what_case = describe_call(m, x, history);
      KATA_ASSERT_OK(forward_diff(m, x, "output", what_case));
      KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after the call", what_case));
      history += fmt::format("{}{} {}", history.empty() ? "" : ", ", training ? "train" : "eval",
                             kata_test::shape_of(x));
    }
  }
}

TEST(BatchNorm1d, LargeEpsAndMomentum) {
  kata_test::meaning(
      "With eps = 0.5 and momentum = 0.3 (or 0.9) an output or a buffer differs: eps goes inside the square root "
      "next to the variance, in training and in eval, and momentum weighs the NEW batch: (1 - momentum) * running "
      "+ momentum * batch (PyTorch's convention; Keras's momentum is the weight of the old value).");
  for (const auto& c : {Config{3, 0.5, 0.3}, Config{2, 0.5, 0.9}}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto m = make_modules(c, dtype, /*random_state=*/true);
      if (m.error) FAIL() << load_failure(m);
      for (const auto& shape : std::vector<std::vector<int64_t>>{{3, c.C, 4}, {4, c.C}}) {
        auto x = random_x(shape, dtype);
        const std::string what_case = describe_call(m, x);
        KATA_ASSERT_OK(forward_diff(m, x, "output", what_case));
        KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after the call", what_case));
      }
      m.learner->eval();
      m.reference->eval();
      auto x = random_x({2, c.C, 3}, dtype);
      KATA_ASSERT_OK(forward_diff(m, x, "output", describe_call(m, x, "two training calls")));
    }
  }
}

// ---- LibTorch's own module

TEST(BatchNorm1d, MatchesTorchBatchNorm1d) {
  kata_test::meaning(
      "Driven through the same calls as torch::nn::BatchNorm1d(BatchNorm1dOptions(C).eps(eps).momentum(momentum)) "
      "(train, train, eval), an output or a buffer differs from LibTorch's: the contract is that module, exactly.");
  for (const auto& c : {Config{3, 1e-5, 0.1}, Config{4, 1e-3, 0.3}}) {
    for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
      auto m = make_modules(c, dtype, /*random_state=*/true);
      if (m.error) FAIL() << load_failure(m);
      torch::nn::BatchNorm1d torch_bn(torch::nn::BatchNorm1dOptions(c.C).eps(c.eps).momentum(c.momentum));
      torch_bn->to(dtype);
      for (const auto& p : m.reference->named_parameters()) set_state(*torch_bn, p.key(), p.value());
      for (const auto& b : m.reference->named_buffers()) set_state(*torch_bn, b.key(), b.value());
      std::string history;
      for (const auto& [training, shape] : std::vector<std::pair<bool, std::vector<int64_t>>>{
               {true, {3, c.C, 4}}, {true, {5, c.C}}, {false, {2, c.C, 3}}}) {
        torch_bn->train(training);
        m.learner->train(training);
        auto x = random_x(shape, dtype);
        const std::string what_case =
            fmt::format("torch::nn::BatchNorm1d(BatchNorm1dOptions({}).eps({}).momentum({})), {}{}, {}", c.C, c.eps,
                        c.momentum, training ? "training" : "eval", history.empty() ? "" : ", after " + history,
                        kata_test::describe({{"x", x}}));
        auto want = torch_bn->forward(x.clone()).detach();
        KATA_ASSERT_OK(diff(m.learner->forward(x), want, "output (LibTorch's BatchNorm1d as expected)", what_case));
        KATA_ASSERT_OK(buffers_diff(*m.learner, *torch_bn, "after the call (LibTorch's as expected)", what_case));
        history += fmt::format("{}{} {}", history.empty() ? "" : ", ", training ? "train" : "eval",
                               kata_test::shape_of(x));
      }
    }
  }
}

// ---- Shapes, layouts, inputs

TEST(BatchNorm1d, EdgeShapes) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf: with N = 2 and L = 1 the unbiased factor is n / (n - 1) = 2 (n = N * L, not N); "
                     "with N = 1 in training n = L, which must not be taken as 1.");
  kata_test::meaning(
      "One channel (C = 1), a sequence length of 1 ([N, C, 1]), a single sample with L > 1 in training "
      "(n = L), a batch of 2 (n / (n - 1) = 2), or a batch of one in eval breaks code that squeezes dims, "
      "counts n as N, or assumes C > 1.");
  const std::vector<std::pair<bool, Case>> cases = {
      {true, {{4, 1, 3}, {1, 1e-5, 0.1}}}, {true, {{3, 2, 1}, {2, 1e-5, 0.1}}}, {true, {{1, 3, 5}, {3, 1e-5, 0.1}}},
      {true, {{2, 3}, {3, 1e-5, 0.1}}},    {true, {{5, 1}, {1, 1e-3, 0.3}}},    {false, {{1, 3}, {3, 1e-5, 0.1}}},
      {false, {{1, 2, 1}, {2, 1e-5, 0.1}}}, {false, {{3, 1, 1}, {1, 1e-5, 0.1}}}};
  for (const auto& [training, k] : cases) {
    auto m = make_modules(k.config, torch::kFloat64, /*random_state=*/!training);
    if (m.error) FAIL() << load_failure(m);
    m.learner->train(training);
    m.reference->train(training);
    auto x = random_x(k.shape, torch::kFloat64);
    const std::string what_case = describe_call(m, x);
    KATA_ASSERT_OK(forward_diff(m, x, "output", what_case));
    KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after the call", what_case));
  }
}

TEST(BatchNorm1d, NonContiguousInput) {
  kata_test::meaning(
      "x as a view gives other results: a [N, C, L] made by transposing a [N, L, C] tensor (channels-last "
      "storage), every other value of a wider tensor, or a transposed [N, C]. .view() or data_ptr indexing "
      "assumes a memory layout; use reshape, or reduce over the dims directly.");
  // The same values as x, laid out otherwise.
  auto channels_last = [](const torch::Tensor& x) { return x.transpose(1, 2).contiguous().transpose(1, 2); };
  auto strided = [](const torch::Tensor& x) { return torch::stack({x, x}, /*dim=*/-1).select(/*dim=*/-1, 0); };
  auto transposed = [](const torch::Tensor& x) { return kata_test::non_contiguous(x); };
  struct View {
    Case k;
    std::function<torch::Tensor(const torch::Tensor&)> make;
  };
  const std::vector<View> views = {{{{3, 4, 5}, {4, 1e-5, 0.1}}, channels_last},
                                   {{{2, 3, 4}, {3, 1e-3, 0.3}}, strided},
                                   {{{5, 3}, {3, 1e-5, 0.1}}, transposed}};
  for (bool training : {true, false}) {
    for (const auto& [k, make] : views) {
      auto m = make_modules(k.config, torch::kFloat64, /*random_state=*/true);
      if (m.error) FAIL() << load_failure(m);
      m.learner->train(training);
      m.reference->train(training);
      auto x = random_x(k.shape, torch::kFloat64);
      auto view = make(x);
      const std::string what_case = describe_call(m, view);
      auto want = m.reference->forward(x);
      KATA_ASSERT_OK(diff(m.learner->forward(view), want, "output", what_case));
      KATA_ASSERT_OK(buffers_diff(*m.learner, *m.reference, "after the call", what_case));
    }
  }
}

TEST(BatchNorm1d, InputUnchanged) {
  kata_test::meaning(
      "forward wrote into x (an in-place op such as x.sub_(mean)): the caller's activations must be left as "
      "they were, in training and in eval.");
  for (bool training : {true, false}) {
    auto m = make_modules({3, 1e-5, 0.1}, torch::kFloat64, /*random_state=*/true);
    if (m.error) FAIL() << load_failure(m);
    m.learner->train(training);
    m.reference->train(training);
    auto x = random_x({4, 3, 2}, torch::kFloat64);
    auto before = x.clone();
    m.learner->forward(x);
    KATA_ASSERT_OK(diff(x, before, "x after the call", describe_call(m, before), kata_test::Tolerance{0, 0}));
  }
}

}  // namespace

// Hidden tests for train_eval_modes: the learner's train_epoch, evaluate and fit against the reference, each on its
// own copy of the same kata::ProbeNet (the contract's model: same parameters, running statistics, dropout draws and
// record), on the same data.
//
// The colleague's program has four bugs, and the first four checks each let exactly one of them show, so that a
// partial fix is told which bugs are left, each at its own check:
//   ValidationInEvalMode         bug 1, evaluate without model->eval(): evaluate alone, on a model in training mode;
//                                its loss, the running statistics, the dropout draws and the train-mode forward count
//                                (a missing NoGradGuard changes none of them);
//   ValidationRecordsNoGraph     bug 2, evaluate without NoGradGuard: evaluate alone; only whether a forward call
//                                recorded an autograd graph (the mode cannot change that);
//   TrainingModeAfterValidation  bug 3, train_epoch without model->train(): train_epoch alone, on a model left in
//                                evaluation mode by a validation pass; its loss, the parameters and buffers after it,
//                                but not the count of graphs kept alive (bug 4's);
//   NoGraphOutlivesItsStep       bug 4, the epoch loss summed as a tensor: train_epoch alone, on a model in training
//                                mode (so bug 3 cannot matter); only whether old graphs stayed alive.
// Each of these makes every comparison before it fails (no early stop), so that a known mistake is matched on
// everything the check saw. Then the checks of each function's values, and of the whole program.
#include "kata_test.h"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "train_eval_modes.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::Tolerance;

// Float64 runs of differently written correct programs (torch::optim::SGD or a hand-written step, cross_entropy or
// log_softmax + nll, batched or whole-set validation) agree to ~1e-15; every wrong program is off by far more.
const Tolerance kFloat64Tol{1e-9, 1e-12};
const Tolerance kFloat32Tol{1e-4, 1e-6};
const Tolerance kExact{0, 0};

Tolerance tolerance(torch::ScalarType dtype) { return dtype == torch::kFloat64 ? kFloat64Tol : kFloat32Tol; }

struct Spec {
  int64_t in_features, hidden, classes;
  double p;
  torch::ScalarType dtype;
};

// The learner's model and the reference's, in the same state.
struct Pair {
  kata::ProbeNet learner{nullptr};
  reference::kata::ProbeNet reference{nullptr};
  Spec spec;
  int64_t seed;
};

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto params = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(params[p.key()]);
  auto buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(buffers[b.key()]);
  to.train(from.is_training());
}

// A model as it is in the middle of a run: random weights, running statistics far from a fresh model's (so the
// two modes of the batch norm differ clearly), dropout masks already drawn.
Pair make_pair(const Spec& s, bool training) {
  const int64_t seed = torch::randint(1, 1 << 30, {1}).item<int64_t>();
  Pair m{nullptr, reference::kata::ProbeNet(s.in_features, s.hidden, s.classes, s.p, seed), s, seed};
  auto& r = *m.reference;
  r.to(s.dtype);
  {
    torch::NoGradGuard no_grad;
    auto opts = torch::TensorOptions().dtype(s.dtype);
    r.bn->running_mean.copy_(0.8 * torch::randn({s.hidden}, opts));
    r.bn->running_var.copy_(0.3 + 2.0 * torch::rand({s.hidden}, opts));
    r.bn->num_batches_tracked.fill_(torch::randint(1, 50, {1}).item<int64_t>());
    r.bn->weight.copy_(1.0 + 0.3 * torch::randn({s.hidden}, opts));
    r.bn->bias.copy_(0.3 * torch::randn({s.hidden}, opts));
    r.drop->draws.fill_(torch::randint(0, 1000, {1}).item<int64_t>());
  }
  r.train(training);
  m.learner = kata::ProbeNet(s.in_features, s.hidden, s.classes, s.p, seed);
  m.learner->to(s.dtype);
  copy_state(r, *m.learner);
  return m;
}

struct Data {
  torch::Tensor x, y;
};
// Rows of a 3-layer problem a small network learns: labels from a random linear teacher, with noise.
Data make_data(const Spec& s, int64_t n) {
  auto opts = torch::TensorOptions().dtype(s.dtype);
  auto x = torch::randn({n, s.in_features}, opts);
  auto teacher = torch::randn({s.in_features, s.classes}, opts);
  auto y = (torch::matmul(x, teacher) + 0.5 * torch::randn({n, s.classes}, opts)).argmax(/*dim=*/1);
  return {x, y};
}
Data clone(const Data& d) { return {d.x.clone(), d.y.clone()}; }

std::string describe_model(const Pair& m, bool training) {
  const auto& s = m.spec;
  return fmt::format("ProbeNet(in_features={}, hidden={}, classes={}, p={}, seed={}) {}, in {} mode", s.in_features,
                     s.hidden, s.classes, s.p, m.seed, kata_test::dtype_name(s.dtype), training ? "training" : "evaluation");
}

// Collects every comparison of a check, and fails it at the end with the first failure: a check that stopped at its
// first failure would hide what else differs from the known mistakes it is compared with.
class Verdict {
 public:
  void add(std::optional<std::string> e) {
    if (e && !first_) first_ = std::move(e);
  }
  const std::optional<std::string>& first() const { return first_; }

 private:
  std::optional<std::string> first_;
};
#define KATA_FAIL_IF_ANY(verdict) \
  do {                            \
    if ((verdict).first()) FAIL() << *(verdict).first(); \
  } while (0)

std::optional<std::string> diff_number(double got, double want, const std::string& what, const std::string& description,
                                       Tolerance tol) {
  return diff(torch::tensor(std::vector<double>{got}, torch::kFloat64),
              torch::tensor(std::vector<double>{want}, torch::kFloat64), what, description, tol);
}

std::optional<std::string> diff_list(const std::vector<double>& got, const std::vector<double>& want,
                                     const std::string& what, const std::string& description, Tolerance tol) {
  return diff(torch::tensor(got, torch::kFloat64), torch::tensor(want, torch::kFloat64), what, description, tol);
}

// The learner's model's tensors `names` (parameters or buffers) against the reference's, after `call`.
void diff_tensors(Verdict& v, const Pair& m, const std::vector<std::string>& names, const std::string& call,
                  const std::string& description) {
  auto mine = m.learner->named_parameters(), want = m.reference->named_parameters();
  auto mine_buffers = m.learner->named_buffers(), want_buffers = m.reference->named_buffers();
  for (const auto& name : names) {
    const torch::Tensor* got = mine.find(name);
    const torch::Tensor* expected = want.find(name);
    if (!expected) {
      got = mine_buffers.find(name);
      expected = want_buffers.find(name);
    }
    const auto tol = expected->is_floating_point() ? tolerance(m.spec.dtype) : kExact;
    v.add(diff(*got, *expected, fmt::format("{} after {}", name, call), description, tol));
  }
}

const std::vector<std::string> kParameters = {"fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"};
const std::vector<std::string> kRunningStats = {"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"};
// The model's record, as far as the contract fixes it: evaluate may run its rows in any batches (in evaluation mode the
// batching changes nothing), so the count of evaluation-mode forward calls is left out.
const std::vector<std::string> kRecord = {"forwards_train", "forwards_graph", "graphs_kept"};

std::vector<std::string> join(std::initializer_list<std::vector<std::string>> lists) {
  std::vector<std::string> all;
  for (const auto& l : lists) all.insert(all.end(), l.begin(), l.end());
  return all;
}

int64_t count(const torch::Tensor& t) { return t.item<int64_t>(); }

// ---- The four checks that each let one of the colleague's bugs show, and only that one.

TEST(TrainEvalModes, ValidationInEvalMode) {
  kata_test::meaning(
      "evaluate ran the model in training mode: the batch norm normalised each validation batch with its own "
      "statistics and moved its running statistics towards the validation data, and the dropout zeroed activations "
      "(drawing masks, so every later training step gets different ones). That is why the colleague's validation "
      "loss was noisy and too high. Call model->eval() at the start of evaluate: it switches every submodule (the "
      "batch norm and the dropout) to evaluation mode.");
  // Validation sets whose batches divide evenly and not; the model comes in training mode, as from train_epoch.
  struct Case {
    Spec spec;
    int64_t n, batch_size;
  };
  const std::vector<Case> cases = {{{5, 8, 3, 0.3, torch::kFloat64}, 10, 4}, {{4, 6, 3, 0.5, torch::kFloat64}, 12, 12}};
  Verdict v;
  for (const auto& c : cases) {
    auto m = make_pair(c.spec, /*training=*/true);
    auto data = make_data(c.spec, c.n);
    const auto description = fmt::format("{}, {}, batch_size {}", describe_model(m, true),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}), c.batch_size);
    const int64_t train_forwards_before = count(m.learner->forwards_train);
    auto d = clone(data);
    const double want = reference::kata::evaluate(m.reference, d.x, d.y, c.batch_size);
    const double got = kata::evaluate(m.learner, data.x, data.y, c.batch_size);
    v.add(diff_number(got, want, "validation loss", description, tolerance(c.spec.dtype)));
    diff_tensors(v, m, join({kRunningStats, {"drop.draws"}}), "evaluate", description);
    v.add(diff_number(static_cast<double>(count(m.learner->forwards_train) - train_forwards_before), 0.0,
                      "forward calls in training mode during evaluate", description, kExact));
  }
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, ValidationRecordsNoGraph) {
  kata_test::meaning(
      "evaluate recorded an autograd graph at every forward call: with grad mode on, each forward pass saves its "
      "activations for a backward pass that validation never runs (memory and time for nothing, and a loss that "
      "could be back-propagated by mistake). model->eval() does not turn autograd off; put torch::NoGradGuard "
      "no_grad; (a named variable: a temporary, or `no_grad()`, which declares a function, guards nothing) at the top "
      "of evaluate, or torch::InferenceMode guard;. Detaching the output afterwards is too late: the graph was "
      "already recorded.");
  const Spec spec{5, 8, 3, 0.3, torch::kFloat64};
  Verdict v;
  for (bool training : {true, false}) {
    auto m = make_pair(spec, training);
    auto data = make_data(spec, 10);
    const auto description = fmt::format("{}, {}, batch_size 4", describe_model(m, training),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}));
    const int64_t before = count(m.learner->forwards_graph);
    kata::evaluate(m.learner, data.x, data.y, 4);
    const int64_t recorded = count(m.learner->forwards_graph) - before;
    v.add(kata_test::property(recorded == 0, "evaluate records no autograd graph",
                              fmt::format("{} of evaluate's forward calls ran with grad mode on and recorded an "
                                          "autograd graph (expected none)\ncase: {}",
                                          recorded, description)));
  }
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, TrainingModeAfterValidation) {
  kata_test::meaning(
      "train_epoch trained a model left in evaluation mode by the validation pass: the batch norm normalised with its "
      "running statistics (and stopped updating them) and the dropout was off, from the second epoch on. Once "
      "evaluate calls model->eval(), nothing switches it back: call model->train() at the start of train_epoch (a "
      "model->train() once before the epoch loop, or only at the end of evaluate, leaves train_epoch trusting its "
      "caller; the contract asks train_epoch to set the mode it needs).");
  struct Case {
    Spec spec;
    int64_t n, batch_size;
    double lr;
  };
  const std::vector<Case> cases = {{{5, 8, 3, 0.3, torch::kFloat64}, 24, 6, 0.2},
                                   {{4, 6, 3, 0.0, torch::kFloat64}, 16, 8, 0.3}};
  Verdict v;
  for (const auto& c : cases) {
    auto m = make_pair(c.spec, /*training=*/false);
    auto data = make_data(c.spec, c.n);
    const auto description = fmt::format("{}, {}, batch_size {}, lr {}", describe_model(m, false),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}), c.batch_size, c.lr);
    const int64_t train_before = count(m.learner->forwards_train), eval_before = count(m.learner->forwards_eval);
    auto d = clone(data);
    const double want = reference::kata::train_epoch(m.reference, d.x, d.y, c.batch_size, c.lr);
    const double got = kata::train_epoch(m.learner, data.x, data.y, c.batch_size, c.lr);
    v.add(diff_number(got, want, "train_epoch's loss", description, tolerance(c.spec.dtype)));
    diff_tensors(v, m, join({kParameters, kRunningStats, {"drop.draws"}}), "train_epoch", description);
    const int64_t batches = (c.n + c.batch_size - 1) / c.batch_size;
    v.add(diff(torch::tensor({count(m.learner->forwards_train) - train_before, count(m.learner->forwards_eval) - eval_before}),
               torch::tensor({batches, int64_t{0}}),
               "forward calls during train_epoch in [training, evaluation] mode", description, kExact));
  }
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, NoGraphOutlivesItsStep) {
  kata_test::meaning(
      "train_epoch kept the autograd graphs of earlier steps alive: `total = total + loss` adds each loss *tensor* to "
      "a running total, so the total's graph reaches back through every step's graph, and none of them is freed until "
      "the epoch ends (the process grows every step). The epoch loss is a number: total += loss.item<double>() (or "
      "add loss.detach()).");
  const Spec spec{5, 8, 3, 0.3, torch::kFloat64};
  Verdict v;
  for (int64_t n : {24, 40}) {
    auto m = make_pair(spec, /*training=*/true);
    auto data = make_data(spec, n);
    const auto description = fmt::format("{}, {}, batch_size 6, lr 0.1", describe_model(m, true),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}));
    const int64_t before = count(m.learner->graphs_kept);
    kata::train_epoch(m.learner, data.x, data.y, 6, 0.1);
    const int64_t kept = count(m.learner->graphs_kept) - before;
    v.add(kata_test::property(
        kept == 0, "no autograd graph outlives its step",
        fmt::format("graphs of earlier steps were still alive at the forward calls of train_epoch ({} in all over "
                    "its {} steps, beyond the step just done; expected 0)\ncase: {}",
                    kept, (n + 5) / 6, description)));
  }
  KATA_FAIL_IF_ANY(v);
}

// ---- Each function's values.

TEST(TrainEvalModes, TrainEpochValues) {
  kata_test::meaning(
      "train_epoch on a model in training mode gives other values: batch b is rows [b * batch_size, min((b + 1) * "
      "batch_size, N)) in order; per batch zero the gradients, mean cross-entropy, backward, then p -= lr * p.grad "
      "(torch::optim::SGD(model->parameters(), lr)); return the mean of the batch losses, each taken before its "
      "step (the last, shorter batch counts as one batch).");
  struct Case {
    Spec spec;
    int64_t n, batch_size;
    double lr;
  };
  const std::vector<Case> cases = {{{5, 8, 3, 0.3, torch::kFloat64}, 26, 8, 0.2},
                                   {{6, 10, 4, 0.2, torch::kFloat32}, 20, 20, 0.5},
                                   {{3, 4, 2, 0.5, torch::kFloat64}, 12, 4, 0.1}};
  Verdict v;
  for (const auto& c : cases) {
    auto m = make_pair(c.spec, /*training=*/true);
    auto data = make_data(c.spec, c.n);
    const auto description = fmt::format("{}, {}, batch_size {}, lr {}", describe_model(m, true),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}), c.batch_size, c.lr);
    auto d = clone(data);
    const double want = reference::kata::train_epoch(m.reference, d.x, d.y, c.batch_size, c.lr);
    const double got = kata::train_epoch(m.learner, data.x, data.y, c.batch_size, c.lr);
    v.add(diff_number(got, want, "train_epoch's loss", description, tolerance(c.spec.dtype)));
    diff_tensors(v, m, join({kParameters, kRunningStats, {"drop.draws"}}), "train_epoch", description);
  }
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, EvaluateValues) {
  kata_test::meaning(
      "evaluate on a model already in evaluation mode gives another loss: it is the mean cross-entropy over all N "
      "rows (the sum of the per-row losses divided by N), not the mean of the batch means (a shorter last batch "
      "would count as much as a full one); and it changes no parameter, running statistic or dropout draw.");
  struct Case {
    Spec spec;
    int64_t n, batch_size;
  };
  const std::vector<Case> cases = {{{5, 8, 3, 0.3, torch::kFloat64}, 11, 4},
                                   {{4, 6, 3, 0.5, torch::kFloat64}, 7, 16},
                                   {{6, 10, 4, 0.2, torch::kFloat32}, 14, 5}};
  Verdict v;
  for (const auto& c : cases) {
    auto m = make_pair(c.spec, /*training=*/false);
    auto data = make_data(c.spec, c.n);
    const auto description = fmt::format("{}, {}, batch_size {}", describe_model(m, false),
                                         kata_test::describe({{"x", data.x}, {"y", data.y}}), c.batch_size);
    auto d = clone(data);
    const double want = reference::kata::evaluate(m.reference, d.x, d.y, c.batch_size);
    const double got = kata::evaluate(m.learner, data.x, data.y, c.batch_size);
    v.add(diff_number(got, want, "validation loss", description, tolerance(c.spec.dtype)));
    diff_tensors(v, m, join({kParameters, kRunningStats, {"drop.draws"}}), "evaluate", description);
  }
  KATA_FAIL_IF_ANY(v);
}

// ---- The whole program.

struct FitCase {
  std::string name;
  Spec spec;
  int64_t n_train, n_val;
  kata::FitConfig cfg;
};

kata::FitConfig fit_config(int64_t epochs, int64_t batch_size, double lr) {
  kata::FitConfig c;
  c.epochs = epochs;
  c.batch_size = batch_size;
  c.lr = lr;
  return c;
}

// Runs the reference's fit and the learner's on the same model and data (the learner's on `views` of the data when
// given: the same values, other strides), and compares the per-epoch losses and, when `state`, every parameter and
// buffer (the running statistics, the dropout draws and the model's record of how it was used).
void check_fit(Verdict& v, const FitCase& c, bool state, bool non_contiguous = false) {
  auto m = make_pair(c.spec, /*training=*/true);
  auto train = make_data(c.spec, c.n_train), val = make_data(c.spec, c.n_val);
  Data train_in = train, val_in = val;
  if (non_contiguous) {
    train_in = {kata_test::non_contiguous(train.x), kata_test::non_contiguous(train.y)};
    val_in = {kata_test::non_contiguous(val.x), kata_test::non_contiguous(val.y)};
  }
  const auto description = fmt::format(
      "{}: {}, {}, epochs {}, batch_size {}, lr {}", c.name, describe_model(m, true),
      kata_test::describe({{"x_train", train_in.x}, {"y_train", train_in.y}, {"x_val", val_in.x}, {"y_val", val_in.y}}),
      c.cfg.epochs, c.cfg.batch_size, c.cfg.lr);
  auto t = clone(train), w = clone(val);
  auto want = reference::kata::fit(m.reference, t.x, t.y, w.x, w.y,
                                   kata_test::as_reference<reference::kata::FitConfig>(c.cfg));
  auto got = kata::fit(m.learner, train_in.x, train_in.y, val_in.x, val_in.y, c.cfg);
  const auto tol = tolerance(c.spec.dtype);
  v.add(diff_list(got.train_loss, want.train_loss, "train loss per epoch (index = epoch)", description, tol));
  v.add(diff_list(got.val_loss, want.val_loss, "validation loss per epoch (index = epoch)", description, tol));
  if (state) diff_tensors(v, m, join({kParameters, kRunningStats, {"drop.draws"}, kRecord}), "fit", description);
}

TEST(TrainEvalModes, FitFloat64) {
  kata_test::meaning(
      "The whole run differs: per epoch, train_epoch (model->train(), SGD over the batches, the epoch loss as a "
      "number) then evaluate (model->eval() and NoGradGuard). The checks above test each function alone; the model's "
      "record (forwards_train, forwards_graph, graphs_kept) says in which mode and with what graphs "
      "the forward calls ran.");
  Verdict v;
  check_fit(v, {"three epochs", {6, 12, 4, 0.3, torch::kFloat64}, 30, 14, fit_config(3, 8, 0.3)}, true);
  check_fit(v, {"five epochs, batches of 5", {5, 8, 3, 0.2, torch::kFloat64}, 20, 12, fit_config(5, 5, 0.2)}, true);
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, FitFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "A float32 model and float32 data: keep every tensor in the model's dtype (x.options()).");
  kata_test::meaning("The whole run differs in float32 (the same program as in float64, with float32 rounding).");
  Verdict v;
  check_fit(v, {"float32", {6, 12, 4, 0.3, torch::kFloat32}, 30, 14, fit_config(3, 8, 0.3)}, true);
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, FitEdgeCases) {
  kata_test::meaning(
      "An edge case of the run differs: one epoch with a batch larger than the data (one batch per pass), no dropout "
      "(p = 0), one hidden unit, two classes, a last batch of 2 rows.");
  Verdict v;
  check_fit(v, {"one epoch, one batch", {4, 6, 3, 0.3, torch::kFloat64}, 12, 6, fit_config(1, 16, 0.2)}, true);
  check_fit(v, {"no dropout", {5, 8, 2, 0.0, torch::kFloat64}, 16, 10, fit_config(3, 6, 0.3)}, true);
  check_fit(v, {"one hidden unit", {3, 1, 2, 0.3, torch::kFloat64}, 10, 6, fit_config(2, 4, 0.2)}, true);
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, NonContiguousInputs) {
  kata_test::meaning(
      "Data given as views (transposed storage, strided labels) gives a different run: slice rows with "
      "slice/narrow/index_select (they work on any strides); .view() or raw data_ptr indexing assume a layout.");
  Verdict v;
  check_fit(v, {"non-contiguous data", {5, 8, 3, 0.3, torch::kFloat64}, 20, 10, fit_config(2, 6, 0.2)}, true,
            /*non_contiguous=*/true);
  KATA_FAIL_IF_ANY(v);
}

TEST(TrainEvalModes, InputsUnchanged) {
  kata_test::meaning(
      "fit wrote into its data (an in-place op on a batch slice writes into x or y): callers reuse the data, so it "
      "must be left as it was.");
  const Spec spec{5, 8, 3, 0.3, torch::kFloat64};
  auto m = make_pair(spec, /*training=*/true);
  auto train = make_data(spec, 20), val = make_data(spec, 10);
  auto train_before = clone(train), val_before = clone(val);
  kata::fit(m.learner, train.x, train.y, val.x, val.y, fit_config(2, 6, 0.2));
  const auto description = kata_test::describe(
      {{"x_train", train_before.x}, {"y_train", train_before.y}, {"x_val", val_before.x}, {"y_val", val_before.y}});
  Verdict v;
  v.add(diff(train.x, train_before.x, "x_train after fit", description, kExact));
  v.add(diff(train.y, train_before.y, "y_train after fit", description, kExact));
  v.add(diff(val.x, val_before.x, "x_val after fit", description, kExact));
  v.add(diff(val.y, val_before.y, "y_val after fit", description, kExact));
  KATA_FAIL_IF_ANY(v);
}

}  // namespace

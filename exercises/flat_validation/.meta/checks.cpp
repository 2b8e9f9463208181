// Hidden tests for flat_validation: the learner's repaired pieces (shuffle, standardise_splits, batches) and the
// whole experiment (train) against the reference.
//
// The colleague's program has three bugs, one in each piece, and the first three checks each call only that
// piece, so that a partial fix is told which bugs are left, each at its own check:
//   ShuffleKeepsPairs            bug 1, the labels scattered (ys[perm[i]] = y[i]) while the features are gathered
//                                (xs[i] = x[perm[i]]): every label lands on another row's features;
//   StatisticsFromTrainingSplit  bug 2, the standardisation statistics of train + validation instead of the
//                                training split alone: a validation split with other statistics;
//   EveryRowOncePerEpoch         bug 3, N / batch_size batches of batch_size + 1 rows: rows seen twice, the
//                                left-over rows dropped.
// Then the whole experiment, where every bug shows: float64 trajectories, a run whose validation loss must rise
// (early stopping and validation measured on the training split show there), float32, edge shapes, views, and the
// inputs left unchanged.
#include "kata_test.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flat_validation.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::Tolerance;

// A permutation of 0..n-1 that is not its own inverse (n >= 3): scattering by it and gathering by it differ.
torch::Tensor permutation_not_involution(int64_t n) {
  auto identity = torch::arange(n, torch::kInt64);
  for (;;) {
    auto perm = torch::randperm(n, torch::kInt64);
    if (n < 3 || !perm.index_select(/*dim=*/0, perm).equal(identity)) return perm;
  }
}

// ---- The three checks that each let one of the colleague's bugs show, and only that one.

TEST(FlatValidation, ShuffleKeepsPairs) {
  kata_test::meaning(
      "shuffle(x, y, perm) must give row i of both results from row perm[i] of the input, so that every label "
      "stays with its features: x.index_select(0, perm) and y.index_select(0, perm). Writing row i of the input to "
      "position perm[i] (index_put_, index_copy_, a scatter) applies the inverse permutation: done to the labels "
      "only, it pairs each row's features with another row's label, a model can then only memorise the training "
      "split, and the validation loss stays at log(num_classes).");
  struct Case {
    int64_t n, num_features;
  };
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : {Case{10, 3}, Case{7, 1}, Case{25, 4}}) {
      auto x = torch::randn({c.n, c.num_features}, torch::TensorOptions().dtype(dtype));
      auto y = torch::randperm(c.n, torch::kInt64);  // every label different: any mispairing shows
      auto perm = permutation_not_involution(c.n);
      auto description = kata_test::describe({{"x", x}, {"y", y}, {"perm", perm}});
      auto want = reference::kata::shuffle(x.clone(), y.clone(), perm.clone());
      auto got = kata::shuffle(x, y, perm);
      KATA_ASSERT_OK(diff(std::get<0>(got), std::get<0>(want), "shuffled x (first result)", description,
                          Tolerance{0, 0}));
      KATA_ASSERT_OK(diff(std::get<1>(got), std::get<1>(want), "shuffled y (second result)", description,
                          Tolerance{0, 0}));
    }
  }
}

TEST(FlatValidation, StatisticsFromTrainingSplit) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN or inf: a column's std is 0 where the statistics come from. The statistics come from "
                     "train_x, which never has a constant column here.");
  kata_test::meaning(
      "standardise_splits must scale both splits with the mean and the population std (unbiased = false) of the "
      "columns of train_x alone. Here the validation split has other statistics than the training split: "
      "statistics of train + validation (or of the validation split, or of each split on its own) leak the "
      "validation data into what the model is trained on, and standardise the two splits differently from the "
      "model that will be deployed.");
  struct Case {
    int64_t num_train, num_val, num_features;
  };
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto opts = torch::TensorOptions().dtype(dtype);
    for (const auto& c : {Case{20, 8, 3}, Case{12, 1, 2}, Case{30, 10, 1}}) {
      auto scale = torch::exp(torch::randn({c.num_features}, opts)), shift = 3 * torch::randn({c.num_features}, opts);
      auto train_x = torch::randn({c.num_train, c.num_features}, opts) * scale + shift;
      auto val_x = (torch::randn({c.num_val, c.num_features}, opts) * 2 + 1) * scale + shift;  // other statistics
      auto description = kata_test::describe({{"train_x", train_x}, {"val_x", val_x}});
      auto want = reference::kata::standardise_splits(train_x.clone(), val_x.clone());
      auto got = kata::standardise_splits(train_x, val_x);
      KATA_ASSERT_OK(diff(std::get<0>(got), std::get<0>(want), "standardised train_x (first result)", description));
      KATA_ASSERT_OK(diff(std::get<1>(got), std::get<1>(want), "standardised val_x (second result)", description));
    }
  }
}

// The batches as two tensors: their sizes, and their rows one batch after the other.
std::pair<torch::Tensor, torch::Tensor> flatten(const std::vector<torch::Tensor>& batches) {
  std::vector<int64_t> sizes;
  for (const auto& b : batches) sizes.push_back(b.defined() ? b.numel() : -1);
  std::vector<torch::Tensor> defined;
  for (const auto& b : batches)
    if (b.defined()) defined.push_back(b.reshape({-1}));
  auto rows = defined.empty() ? torch::empty({0}, torch::kInt64) : torch::cat(defined);
  return {torch::tensor(sizes, torch::kInt64), rows};
}

TEST(FlatValidation, EveryRowOncePerEpoch) {
  kata_test::meaning(
      "batches(order, batch_size) must give ceil(N / batch_size) batches, batch b = order[b * batch_size, min((b + "
      "1) * batch_size, N)): every row of the epoch exactly once, the last batch holding the left-over rows. Slice "
      "ends are exclusive, so batch b is order.slice(0, start, std::min(start + batch_size, N)): an end one past "
      "that repeats the next batch's first row, and N / batch_size batches drop the left-over rows (with a batch "
      "larger than N, every row).");
  struct Case {
    int64_t n, batch_size;
  };
  for (const auto& c : {Case{10, 3}, Case{12, 4}, Case{7, 1}, Case{4, 6}, Case{9, 2}, Case{5, 5}, Case{1, 1}}) {
    auto order = torch::randperm(c.n, torch::kInt64);
    auto description = fmt::format("{}, batch_size {}", kata_test::describe({{"order", order}}), c.batch_size);
    auto want = flatten(reference::kata::batches(order.clone(), c.batch_size));
    auto got = flatten(kata::batches(order, c.batch_size));
    KATA_ASSERT_OK(
        diff(got.first, want.first, "number of rows of each batch (index = batch)", description, Tolerance{0, 0}));
    KATA_ASSERT_OK(diff(got.second, want.second, "rows of the batches, one batch after the other", description,
                        Tolerance{0, 0}));
  }
}

// ---- The whole experiment.

struct Problem {
  int64_t n, num_features, num_classes, num_train, batch_size, epochs;
  double lr;
  double separation;  // distance of the class means in units of the noise: larger = easier
};

struct Data {
  torch::Tensor x, y, split_perm, epoch_perms;
};

kata::TrainConfig config_of(const Problem& p) {
  kata::TrainConfig c;
  c.num_classes = p.num_classes;
  c.num_train = p.num_train;
  c.batch_size = p.batch_size;
  c.lr = p.lr;
  return c;
}

torch::Tensor make_epoch_perms(int64_t epochs, int64_t num_train) {
  std::vector<torch::Tensor> perms;
  for (int64_t e = 0; e < epochs; ++e) perms.push_back(torch::randperm(num_train, torch::kInt64));
  return torch::stack(perms);
}

// Gaussian blobs around one random mean per class, every column then shifted and scaled by its own amount, as raw
// features are: standardisation has work to do.
Data make_data(const Problem& p, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto y = torch::randint(p.num_classes, {p.n}, torch::kInt64);
  auto means = torch::randn({p.num_classes, p.num_features}, opts) * p.separation;
  auto x = means.index_select(/*dim=*/0, y) + torch::randn({p.n, p.num_features}, opts);
  x = x * torch::exp(torch::randn({p.num_features}, opts)) + 3 * torch::randn({p.num_features}, opts);
  return {x.to(dtype), y, permutation_not_involution(p.n), make_epoch_perms(p.epochs, p.num_train)};
}

std::string describe_run(const Problem& p, const Data& d) {
  return fmt::format("{}, cfg {{num_classes {}, num_train {}, batch_size {}, lr {}}}",
                     kata_test::describe({{"x", d.x}, {"y", d.y}, {"split_perm", d.split_perm},
                                          {"epoch_perms", d.epoch_perms}}),
                     p.num_classes, p.num_train, p.batch_size, p.lr);
}

// Float64 trajectories of correct programs written differently (cross_entropy or log_softmax by hand, autograd or
// the gradient by hand, torch::optim::SGD, batches by split or by a loop) agree to ~1e-13; float32 ones to ~1e-6.
// Every bug and every mask moves the losses by 1e-2 or more. A float32 accuracy may differ by one row where two
// logits are within rounding of each other, so it is allowed one row.
struct Tolerances {
  Tolerance loss, parameters;
};
Tolerances tolerances(torch::ScalarType dtype) {
  if (dtype == torch::kFloat64) return {{1e-9, 1e-12}, {1e-9, 1e-12}};
  return {{1e-4, 1e-6}, {1e-4, 1e-5}};
}

std::optional<std::string> diff_per_epoch(const std::vector<double>& got, const std::vector<double>& want,
                                          const std::string& what, const std::string& description, Tolerance tol) {
  return diff(torch::tensor(got, torch::kFloat64), torch::tensor(want, torch::kFloat64),
              what + " per epoch (index = epoch)", description, tol);
}

// Runs the reference (on its own copies) and the learner's program on the same data and compares the History.
std::optional<std::string> compare_runs(const Problem& p, const Data& d, const Data& learner_inputs) {
  const auto description = describe_run(p, learner_inputs);
  auto want = reference::kata::train(d.x.clone(), d.y.clone(), d.split_perm.clone(), d.epoch_perms.clone(),
                                     kata_test::as_reference<reference::kata::TrainConfig>(config_of(p)));
  auto got = kata::train(learner_inputs.x, learner_inputs.y, learner_inputs.split_perm, learner_inputs.epoch_perms,
                         config_of(p));
  const auto tol = tolerances(d.x.scalar_type());
  const bool exact = d.x.scalar_type() == torch::kFloat64;
  const Tolerance train_accuracy{0, exact ? 1e-12 : 1.5 / static_cast<double>(p.num_train)};
  const Tolerance val_accuracy{0, exact ? 1e-12 : 1.5 / static_cast<double>(p.n - p.num_train)};
  if (auto e = diff_per_epoch(got.train_loss, want.train_loss, "training loss", description, tol.loss)) return e;
  if (auto e = diff_per_epoch(got.val_loss, want.val_loss, "validation loss", description, tol.loss)) return e;
  if (auto e = diff_per_epoch(got.train_accuracy, want.train_accuracy, "training accuracy", description,
                              train_accuracy))
    return e;
  if (auto e = diff_per_epoch(got.val_accuracy, want.val_accuracy, "validation accuracy", description, val_accuracy))
    return e;
  if (auto e = diff(got.weight, want.weight, "final weight", description, tol.parameters)) return e;
  return diff(got.bias, want.bias, "final bias", description, tol.parameters);
}

std::optional<std::string> compare_runs(const Problem& p, const Data& d) { return compare_runs(p, d, d); }

const char* kPieces =
    "If ShuffleKeepsPairs, StatisticsFromTrainingSplit and EveryRowOncePerEpoch pass, compare train with the "
    "contract: one shuffle with split_perm before the split, the first num_train rows for training, "
    "standardise_splits on the two splits' features, zero initial parameters, the epoch's batches in order with one "
    "plain SGD step of lr each (mean cross-entropy of the batch), then both splits evaluated after the epoch.";

TEST(FlatValidation, TrainFloat64) {
  kata_test::meaning(std::string("The run differs from the intended one (every one of the colleague's bugs shows "
                                 "here; the three checks above each show one of them alone). ") +
                     kPieces);
  for (const auto& p : {Problem{60, 5, 3, 40, 8, 4, 0.5, 1.0}, Problem{45, 8, 4, 30, 7, 5, 0.3, 1.5},
                        Problem{50, 3, 2, 36, 5, 3, 1.0, 1.0}}) {
    KATA_ASSERT_OK(compare_runs(p, make_data(p, torch::kFloat64)));
  }
}

// The validation rows are copies of training rows with another label, so fitting the training split must make
// the validation loss rise: the History has to report that, every epoch of it, on the validation split.
TEST(FlatValidation, ValidationLossCanRise) {
  kata_test::meaning(
      "Here every validation row is a copy of a training row with another label, so the better the model fits "
      "the training split, the worse its validation loss must get. The History reports every epoch of the run as "
      "it is: stopping early when the validation loss rises, keeping the best epoch's weights, or measuring the "
      "validation numbers on the training split hides exactly what a validation split is for.");
  const Problem p{24, 20, 3, 16, 4, 6, 0.5, 0.0};
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const int64_t num_val = p.n - p.num_train;
  auto train_x = torch::randn({p.num_train, p.num_features}, opts) * torch::exp(torch::randn({p.num_features}, opts));
  auto train_y = torch::randint(p.num_classes, {p.num_train}, torch::kInt64);
  auto copied = torch::randperm(p.num_train, torch::kInt64).slice(/*dim=*/0, 0, num_val);
  auto val_x = train_x.index_select(/*dim=*/0, copied);
  auto val_y = (train_y.index_select(/*dim=*/0, copied) + torch::randint(1, p.num_classes, {num_val}, torch::kInt64)) % p.num_classes;
  // x is laid out so that shuffle(x, y, split_perm) puts the training rows first: x[split_perm[i]] = row i.
  auto ordered_x = torch::cat({train_x, val_x}), ordered_y = torch::cat({train_y, val_y});
  auto split_perm = permutation_not_involution(p.n);
  auto x = torch::empty_like(ordered_x), y = torch::empty_like(ordered_y);
  x.index_put_({split_perm}, ordered_x);
  y.index_put_({split_perm}, ordered_y);
  KATA_ASSERT_OK(compare_runs(p, {x, y, split_perm, make_epoch_perms(p.epochs, p.num_train)}));
}

TEST(FlatValidation, TrainFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 features must give float32 parameters: create weight and bias with x.options() (or "
                     "x.scalar_type()), not the default dtype.");
  kata_test::meaning(std::string("The float32 run differs from the reference's in float32. ") + kPieces);
  for (const auto& p : {Problem{60, 5, 3, 40, 8, 4, 0.5, 1.0}, Problem{45, 8, 4, 30, 7, 5, 0.3, 1.5}}) {
    KATA_ASSERT_OK(compare_runs(p, make_data(p, torch::kFloat32)));
  }
}

TEST(FlatValidation, EdgeShapes) {
  kata_test::meaning(
      "A batch of one row, a batch as large as the training split or larger, one validation row, one feature, one "
      "epoch, or two classes breaks a program that hard-codes sizes, drops a partial batch or squeezes dimensions.");
  for (const auto& p : {Problem{13, 3, 3, 12, 1, 2, 0.2, 1.0}, Problem{30, 4, 2, 20, 20, 3, 0.5, 1.0},
                        Problem{30, 1, 2, 20, 64, 3, 0.5, 1.0}, Problem{25, 5, 5, 18, 5, 1, 0.5, 1.5}}) {
    KATA_ASSERT_OK(compare_runs(p, make_data(p, torch::kFloat64)));
  }
}

TEST(FlatValidation, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views (x stored transposed, y and the permutations strided) give a different run: .view() "
      "or raw data_ptr indexing assumes a memory layout; use reshape, index_select, slice.");
  const Problem p{45, 8, 4, 30, 7, 3, 0.3, 1.5};
  auto d = make_data(p, torch::kFloat64);
  Data views{kata_test::non_contiguous(d.x), kata_test::non_contiguous(d.y), kata_test::non_contiguous(d.split_perm),
             kata_test::non_contiguous(d.epoch_perms)};
  KATA_ASSERT_OK(compare_runs(p, d, views));
}

TEST(FlatValidation, InputsUnchanged) {
  kata_test::meaning(
      "An input was written into (an in-place op such as x.sub_(mean), y.index_put_, or a shuffle done in place): "
      "callers reuse their data and permutations, so every input must be left as it was.");
  const Problem p{45, 8, 4, 30, 7, 3, 0.3, 1.5};
  auto d = make_data(p, torch::kFloat64);
  Data before{d.x.clone(), d.y.clone(), d.split_perm.clone(), d.epoch_perms.clone()};
  auto description = describe_run(p, before);
  kata::shuffle(d.x, d.y, d.split_perm);
  kata::standardise_splits(d.x.slice(/*dim=*/0, 0, p.num_train), d.x.slice(/*dim=*/0, p.num_train));
  kata::batches(d.epoch_perms[0], p.batch_size);
  kata::train(d.x, d.y, d.split_perm, d.epoch_perms, config_of(p));
  const Tolerance exact{0, 0};
  KATA_ASSERT_OK(diff(d.x, before.x, "x after the calls", description, exact));
  KATA_ASSERT_OK(diff(d.y, before.y, "y after the calls", description, exact));
  KATA_ASSERT_OK(diff(d.split_perm, before.split_perm, "split_perm after the calls", description, exact));
  KATA_ASSERT_OK(diff(d.epoch_perms, before.epoch_perms, "epoch_perms after the calls", description, exact));
}

}  // namespace

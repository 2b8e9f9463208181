// What every hidden test file uses: seeded inputs, assert_close-style comparisons that explain
// themselves, and gradients through a random weighting of the output.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace kata_test {

// The seed of this judge run (set once by the test main); every test reseeds torch from it and its name.
uint64_t run_seed();
void set_run_seed(uint64_t seed);

// Runs every registered check with the run's seed, one torch thread, and GoogleTest's flags from argv.
int run_all_tests(int argc, char** argv);

// Tolerances in the spirit of torch.testing.assert_close: |got - want| <= atol + rtol * |want|.
struct Tolerance {
  double rtol;
  double atol;
};
Tolerance tolerance_for(torch::ScalarType dtype);

// "[2, 4, 8, 16]"
std::string shape_of(const torch::Tensor& t);
// "float64", "float32", "int64", "bool"
std::string dtype_name(torch::ScalarType dtype);
// "q [2, 4, 8, 16] float64 non-contiguous"
std::string describe(const std::string& name, const torch::Tensor& t);
// "q [2, 4, 8, 16] float64, k [...] ..." plus ", seed N".
std::string describe(const std::vector<std::pair<std::string, torch::Tensor>>& inputs);

// ---- What the judge tells the learner when a check fails.

// What a failed comparison looked like. Explanations are shown only when their symptom is present.
enum class Symptom {
  any,            // the check failed at all
  wrong_shape,    // a tensor of the wrong shape
  wrong_dtype,    // the wrong dtype
  non_finite,     // NaN or inf where the expected values are finite
  precision,      // a float64 run off by float32-sized differences
  gradient_only,  // the output matches, a gradient does not
  no_gradient,    // the output is cut from the autograd graph, or a gradient never arrives
};
// Shown under this check when it fails with `when` present; Symptom::any ranks after every specific one.
void explain(Symptom when, const std::string& text);
// What this check usually means when it fails: explain(Symptom::any, text).
void meaning(const std::string& text);

// One comparison the check made: what the learner's code produced, and whether it was accepted.
struct Observation {
  std::string what;
  torch::Tensor got;  // detached; undefined when nothing was returned
  Tolerance tol;
  bool failed;
};
// Everything the current check saw, collected by diff() and backward_diff(): the judge's checker compares
// the observations with those of known mistakes, and shows the findings, the most specific first.
struct Evidence {
  std::vector<Observation> observations;
  std::vector<std::string> findings;  // about the first failed comparison
  std::vector<Symptom> symptoms;
  std::vector<std::pair<Symptom, std::string>> explanations;
};
Evidence& evidence();
void clear_evidence();  // at the start of every check
// The findings, then the explanations whose symptom is present.
std::vector<std::string> findings_to_show();
// Whether two runs of a check observed the same values, each within the tolerance of its comparison.
bool same_observations(const std::vector<Observation>& a, const std::vector<Observation>& b);

// nullopt when `got` matches `want` (shape, dtype, then values); otherwise an explanation naming
// `what`, the case, the largest errors and where they are, and a few expected/got values.
std::optional<std::string> diff(const torch::Tensor& got, const torch::Tensor& want, const std::string& what,
                                const std::string& case_description, std::optional<Tolerance> tol = {});

// Evaluates f on `leaves` (fresh copies that require grad) and backpropagates sum(out * weight).
// `out` is the detached output; grads[i] is undefined where no gradient reached leaves[i]. A module's
// `parameters` (used by f as they are) get their gradients after the leaves', in the order given.
struct Backward {
  torch::Tensor out;
  std::vector<torch::Tensor> grads;
  std::string error;  // non-empty when the output is not connected to the autograd graph
};
Backward run_backward(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                      const std::vector<torch::Tensor>& leaves, const torch::Tensor& weight,
                      const std::vector<torch::Tensor>& parameters = {});

// nullopt when both runs produced the same output and the same gradient for every named leaf.
std::optional<std::string> backward_diff(const Backward& got, const Backward& want,
                                         const std::vector<std::string>& leaf_names,
                                         const std::string& case_description, std::optional<Tolerance> tol = {});

// A property that holds or not, for checks whose values are random (a dropout mask): nullopt when it holds,
// else `failure`. Recorded as the comparison of a 1 (holds) with a 0 (does not), so a known mistake is matched on
// whether the property holds, not on the random values.
std::optional<std::string> property(bool holds, const std::string& what, const std::string& failure);

// How much the learner's memory rose while `calls` ran: its worker's high-water mark over what it used
// before, in bytes (the kernel's count, taken on the trusted side); nullopt when the kernel cannot say, the
// calls having run anyway.
std::optional<int64_t> memory_rise(const std::function<void()>& calls);
// Fails the current check as crossing the memory limit does (verdict memory_limit_exceeded), saying why.
void fail_memory_limit(const std::string& why);

// A view that is not contiguous but holds the same values as t.
torch::Tensor non_contiguous(const torch::Tensor& t);

// A key padding mask [batch, len] (true = padding) for a variable-length batch: element b keeps its first
// lengths[b] positions, at least one, and pads the rest. The first element is always padded by at least one
// position (when len > 1) and the last never, so ignoring the mask and misplacing it both show on every seed.
torch::Tensor random_padding(int64_t batch, int64_t len);

// The reference's copy of a contract struct (reference::kata::TrainConfig from kata::TrainConfig): both are
// the one declaration of the contract header, included twice, so a byte copy is exact and a field added to
// the contract can never be dropped on the way, as a hand-written field-by-field copy would.
template <class To, class From>
To as_reference(const From& from) {
  static_assert(sizeof(To) == sizeof(From) && std::is_trivially_copyable_v<To> && std::is_trivially_copyable_v<From>,
                "as_reference copies plain structs of the same contract");
  To to;
  std::memcpy(static_cast<void*>(&to), &from, sizeof to);
  return to;
}

// ---- Modules: the contract's parameters by name.

// What in the learner's module differs from the reference's parameters (names and shapes), or nullopt.
// Extra trainable parameters count as a difference; frozen ones (requires_grad false) do not.
std::optional<std::string> contract_mismatch(const torch::nn::Module& learner, const torch::nn::Module& reference);
// Copies every reference parameter into the learner's parameter of the same name (call contract_mismatch first).
void copy_parameters(const torch::nn::Module& from, torch::nn::Module& to);
// The module's parameters under `names`, in that order (undefined where it has none of that name).
std::vector<torch::Tensor> parameters_named(const torch::nn::Module& module, const std::vector<std::string>& names);

}  // namespace kata_test

// Fails the current check with the explanation, if there is one.
#define KATA_ASSERT_OK(maybe_error)         \
  do {                                      \
    if (auto kata_error_ = (maybe_error)) { \
      FAIL() << *kata_error_;               \
    }                                       \
  } while (0)

// Hidden tests for lora_linear: the learner's kata::LoRALinear against reference::kata::LoRALinear. What a fresh
// module must be (the contract's parameters, the base frozen, lora_B zero, lora_A not), then, loaded with the
// reference's values and a trained adapter (lora_B away from zero, or the update is invisible), the forward
// pass in float64 and float32, the gradients (x, lora_A and lora_B get autograd's; weight and bias get none),
// merge() (the merged weight, the same output after it, a second call changing nothing), edge shapes, views,
// and x left unchanged.
#include "kata_test.h"

#include <fmt/format.h>

#include "lora_linear.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::property;

struct Config {
  int64_t in, out, rank, alpha;
};
// The first config decides which mistake a failing check names, so its scale tells them apart: alpha / rank =
// 2.5 where alpha is 10, integer division 2, alpha / sqrt(rank) 5 and no scale 1. in != out everywhere but in
// the merge configs' first, and rank is 1, in (full rank) and in between.
const std::vector<Config> kConfigs = {{8, 6, 4, 10}, {5, 7, 2, 3}, {6, 6, 3, 12}, {4, 9, 1, 2}, {3, 5, 3, 3}};
// A square layer first: an update added transposed, (B A)^T, keeps the shape there and shows in the values
// (elsewhere it cannot even be added). Then rank 1, and a wide layer.
const std::vector<Config> kMergeConfigs = {{6, 6, 2, 5}, {8, 6, 4, 10}, {5, 3, 1, 2}, {4, 9, 3, 7}};

const std::vector<std::string> kParameters = {"weight", "bias", "lora_A", "lora_B"};

std::string describe_config(const Config& c) {
  return fmt::format("LoRALinear(in_features={}, out_features={}, rank={}, alpha={})", c.in, c.out, c.rank,
                     c.alpha);
}
std::string describe_case(const Config& c, const torch::Tensor& x) {
  return describe_config(c) + ", " + kata_test::describe({{"x", x}});
}

// A learner module and a reference module of one config and dtype with the same values: the reference's base
// layer and a trained adapter, lora_A and lora_B drawn from randn * 0.5 (a fresh lora_B is zero and would hide
// every mistake in the update).
struct Pair {
  kata::LoRALinear learner{nullptr};
  reference::kata::LoRALinear reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype) {
  Pair m{kata::LoRALinear(c.in, c.out, c.rank, c.alpha), reference::kata::LoRALinear(c.in, c.out, c.rank, c.alpha)};
  {
    torch::NoGradGuard no_grad;
    auto p = m.reference->named_parameters();
    for (const char* name : {"lora_A", "lora_B"}) p[name].copy_(torch::randn_like(p[name]) * 0.5);
  }
  m.reference->to(dtype);
  m.learner->to(dtype);
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference's values into your module:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_x(const Config& c, std::vector<int64_t> leading, torch::ScalarType dtype) {
  leading.push_back(c.in);
  return torch::randn(leading, torch::TensorOptions().dtype(dtype));
}

// The learner's forward(x) against the reference's forward(same) (the same values; the reference first, so it
// sees x untouched).
std::optional<std::string> output_diff(Pair& m, const Config& c, const torch::Tensor& x,
                                       const torch::Tensor& same = {}) {
  if (m.load_error) return load_failure(m, c);
  auto want = m.reference->forward(same.defined() ? same : x);
  return diff(m.learner->forward(x), want, "output", describe_case(c, x));
}

void expect_outputs_match(torch::ScalarType dtype) {
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, dtype);
    for (const auto& leading : std::vector<std::vector<int64_t>>{{5}, {2, 3}})
      KATA_ASSERT_OK(output_diff(m, c, random_x(c, leading, dtype)));
  }
}

// The registered parameter, as the worker's module holds it after each call: what a saved state_dict holds.
torch::Tensor registered_weight(torch::nn::Module& module) {
  return module.named_parameters()["weight"].detach().clone();
}

TEST(LoRALinear, Parameters) {
  kata_test::meaning(
      "A fresh LoRALinear(in, out, rank, alpha) must hold the contract's four parameters, registered with "
      "register_parameter under exactly these names: weight [out, in] and bias [out], frozen (requires_grad "
      "false); lora_A [rank, in], random; lora_B [out, rank], zeros; the last two trainable.");
  for (const auto& c : {Config{8, 6, 4, 10}, Config{3, 5, 3, 3}}) {
    kata::LoRALinear learner(c.in, c.out, c.rank, c.alpha);
    reference::kata::LoRALinear reference(c.in, c.out, c.rank, c.alpha);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
    auto p = learner->named_parameters();
    const std::string in_case = "\ncase: " + describe_config(c);
    for (const char* name : {"weight", "bias"})
      KATA_ASSERT_OK(property(!p[name].requires_grad(), fmt::format("{} is frozen", name),
                              fmt::format("{} requires grad: the pretrained layer is trainable, so an optimizer over "
                                          "parameters() updates it too (and stores its gradient and Adam moments, "
                                          "the memory LoRA exists to save); register it with requires_grad false{}",
                                          name, in_case)));
    for (const char* name : {"lora_A", "lora_B"})
      KATA_ASSERT_OK(property(p[name].requires_grad(), fmt::format("{} is trainable", name),
                              fmt::format("{} does not require grad: the adapter is what is trained{}", name, in_case)));
    KATA_ASSERT_OK(property((p["lora_B"] == 0).all().item<bool>(), "lora_B starts at zero",
                            "lora_B is not all zeros at construction: B = 0 makes a fresh adapter a no-op (the "
                            "fine-tuned model starts exactly as the pretrained one), while lora_A is the random "
                            "one; zero A instead and the update is still zero, but the contract (and peft) "
                            "zero B" + in_case));
    KATA_ASSERT_OK(property((p["lora_A"] != 0).any().item<bool>(), "lora_A starts random",
                            "lora_A is all zeros at construction: with lora_B zero too, both gradients are zero "
                            "(dL/dB needs x A^T, dL/dA needs B), so the adapter never leaves zero; draw lora_A at "
                            "random (kaiming-uniform as nn.Linear, or Gaussian)" + in_case));
  }
}

TEST(LoRALinear, Forward) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "forward maps [..., in_features] to [..., out_features]: x lora_A^T is [..., rank], then "
                     "lora_B^T brings it to [..., out_features].");
  kata_test::meaning(
      "forward(x) differs with a trained adapter (lora_B not zero): it is x weight^T + bias + (alpha / rank) "
      "x lora_A^T lora_B^T, with alpha / rank a real number (alpha = 10, rank = 4 scale by 2.5, not 10, "
      "not 2, not 10 / sqrt(4)).");
  expect_outputs_match(torch::kFloat64);
}

TEST(LoRALinear, ForwardFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: scale by a C++ double, not a "
                     "float64 tensor.");
  kata_test::meaning("forward(x) in float32 differs from the reference's in float32.");
  expect_outputs_match(torch::kFloat32);
}

TEST(LoRALinear, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The adapter path must stay in the autograd graph: use lora_A and lora_B themselves, not "
                     ".data() or a NoGradGuard, in forward.");
  kata_test::meaning(
      "A gradient differs from autograd's through the reference: x, lora_A and lora_B get theirs through the "
      "scaled adapter path (x gets the base layer's too); weight and bias are frozen and get none.");
  const std::vector<std::string> names = {"x", "weight", "bias", "lora_A", "lora_B"};
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      auto x = random_x(c, {2, 3}, dtype);
      auto weight = torch::randn({2, 3, c.out}, x.options());
      auto run = [&](auto& module) {
        return kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return module->forward(in[0]); },
                                       {x}, weight, kata_test::parameters_named(*module, kParameters));
      };
      auto want = run(m.reference);
      auto got = run(m.learner);
      KATA_ASSERT_OK(kata_test::backward_diff(got, want, names, describe_case(c, x)));
      for (size_t i : {1, 2})
        KATA_ASSERT_OK(property(i >= got.grads.size() || !got.grads[i].defined(), "no gradient w.r.t. " + names[i],
                                fmt::format("{} received a gradient: the pretrained layer must be frozen "
                                            "(requires_grad false), or an optimizer would update it\ncase: {}",
                                            names[i], describe_case(c, x))));
    }
  }
}

TEST(LoRALinear, Merge) {
  kata_test::meaning(
      "merge() must fold the scaled update into the registered weight parameter (weight += (alpha / rank) "
      "lora_B lora_A, a [out, in] matrix, in place), and make forward skip the adapter path from then on, so "
      "the output stays the same; a second merge() changes nothing.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kMergeConfigs) {
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      auto x = random_x(c, {4}, dtype);
      const std::string in_case = describe_case(c, x);
      auto want_y = m.reference->forward(x);
      m.reference->merge();
      auto want_w = registered_weight(*m.reference);
      m.learner->merge();
      KATA_ASSERT_OK(diff(registered_weight(*m.learner), want_w, "the registered weight after merge()", in_case));
      KATA_ASSERT_OK(diff(m.learner->forward(x), want_y, "forward(x) after merge() (expected: as before it)", in_case));
      m.learner->merge();
      KATA_ASSERT_OK(diff(registered_weight(*m.learner), want_w,
                          "the registered weight after a second merge() (expected: unchanged)", in_case));
      KATA_ASSERT_OK(diff(m.learner->forward(x), want_y, "forward(x) after a second merge()", in_case));
    }
  }
}

TEST(LoRALinear, EdgeShapes) {
  kata_test::meaning(
      "A 1-D x [in_features], a batch of one, more leading dimensions, rank 1, rank == in_features or a 1 x 1 "
      "layer break a solution that assumes x is 2-D, squeezes dimensions or hard-codes sizes.");
  for (const auto& c : {Config{1, 1, 1, 1}, Config{3, 5, 3, 3}, Config{16, 2, 1, 4}}) {
    auto m = make_pair(c, torch::kFloat64);
    for (const auto& leading : std::vector<std::vector<int64_t>>{{}, {1}, {2, 1, 3}})
      KATA_ASSERT_OK(output_diff(m, c, random_x(c, leading, torch::kFloat64)));
  }
}

TEST(LoRALinear, NonContiguousInput) {
  kata_test::meaning(
      "An x that is a view (transposed storage, a slice of a wider tensor, a broadcast row) gives different "
      "results: .view() or raw data_ptr indexing assumes a memory layout; use reshape or matmul as they are.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    auto x = random_x(c, {3, 4}, torch::kFloat64);
    KATA_ASSERT_OK(output_diff(m, c, kata_test::non_contiguous(x), x));
    auto sliced = torch::cat({x, x}, /*dim=*/-1).narrow(/*dim=*/-1, c.in, c.in);
    KATA_ASSERT_OK(output_diff(m, c, sliced, x));
    auto row = random_x(c, {1}, torch::kFloat64);
    KATA_ASSERT_OK(output_diff(m, c, row.expand({5, c.in}), row.expand({5, c.in}).contiguous()));
  }
}

TEST(LoRALinear, InputUnchanged) {
  kata_test::meaning(
      "forward wrote into x (an in-place op such as x.mul_): callers reuse their inputs, so leave x as it was.");
  const Config c = kConfigs[0];
  auto m = make_pair(c, torch::kFloat64);
  if (m.load_error) FAIL() << load_failure(m, c);
  auto x = random_x(c, {2, 3}, torch::kFloat64);
  auto before = x.clone();
  m.learner->forward(x);
  KATA_ASSERT_OK(diff(x, before, "x after forward", describe_case(c, before), kata_test::Tolerance{0, 0}));
}

}  // namespace

// Hidden tests for decoder_block: the learner's kata::DecoderBlock, loaded with the reference's weights by
// parameter name, against reference::kata::DecoderBlock.
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "decoder_block.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t d_model, n_heads, d_ff;
};
struct Shape {
  int64_t batch, seq;
};
// Head sizes 4, 4, 6, 2, 1: n_heads == 1 hides scale and head-split mistakes, n_heads == d_model the most.
const std::vector<Config> kConfigs = {{8, 2, 32}, {12, 3, 20}, {6, 1, 10}, {8, 4, 16}, {6, 6, 8}};
const std::vector<Shape> kShapes = {{2, 5}, {1, 7}, {3, 4}};

using kata_test::shape_of;

std::string describe_config(const Config& c) {
  return fmt::format("DecoderBlock(d_model={}, n_heads={}, d_ff={})", c.d_model, c.n_heads, c.d_ff);
}

std::string describe_case(const Config& c, const torch::Tensor& x) {
  return describe_config(c) + ", " + kata_test::describe({{"x", x}});
}

// A learner module and a reference module of one config and dtype with identical weights.
struct Pair {
  kata::DecoderBlock learner{nullptr};
  reference::kata::DecoderBlock reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};

// The reference's LayerNorm weights and biases are randomized too, so ignoring them (gamma 1, beta 0 at init)
// shows. `silence` names a submodule whose weight and bias are zeroed in both ("fc2" turns the MLP branch off).
Pair make_pair(const Config& c, torch::ScalarType dtype, const std::string& silence = "") {
  Pair m{kata::DecoderBlock(c.d_model, c.n_heads, c.d_ff), reference::kata::DecoderBlock(c.d_model, c.n_heads, c.d_ff)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  torch::NoGradGuard no_grad;
  for (auto& p : m.reference->named_parameters()) {
    if (p.key().rfind("ln", 0) == 0) {
      const double center = p.key().find("weight") != std::string::npos ? 1.0 : 0.0;
      p.value().copy_(torch::randn_like(p.value()) * 0.3 + center);
    }
    if (!silence.empty() && p.key().rfind(silence + ".", 0) == 0) p.value().zero_();
  }
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (m.load_error) return m;
  kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference weights into your module:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_x(const Config& c, const Shape& s, torch::ScalarType dtype = torch::kFloat64) {
  return torch::randn({s.batch, s.seq, c.d_model}, torch::TensorOptions().dtype(dtype));
}

// Compares learner and reference outputs on x (the reference runs first, on untouched x).
std::optional<std::string> check_output(Pair& m, const Config& c, const torch::Tensor& x) {
  if (m.load_error) return load_failure(m, c);
  auto want = m.reference->forward(x);
  return diff(m.learner->forward(x), want, "output", describe_case(c, x));
}

void expect_outputs_match(torch::ScalarType dtype, const std::string& silence = "") {
  for (const auto& c : kConfigs) {
    for (const auto& s : kShapes) {
      auto m = make_pair(c, dtype, silence);
      KATA_ASSERT_OK(check_output(m, c, random_x(c, s, dtype)));
    }
  }
}

// Output and gradients of sum(forward(x) * weight) w.r.t. x and every parameter named in `names`.
struct Backward {
  torch::Tensor out;
  std::vector<torch::Tensor> grads;  // x first, then the parameters in the order of `names`
  std::string error;
};
Backward run_backward(torch::nn::Module& module, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                      const std::vector<std::string>& names, const torch::Tensor& x, const torch::Tensor& weight) {
  auto leaf = x.detach().clone().requires_grad_(true);
  auto params = module.named_parameters();
  std::vector<torch::Tensor> inputs = {leaf};
  for (const auto& name : names) inputs.push_back(params[name]);
  auto out = forward(leaf);
  Backward result{out.detach(), std::vector<torch::Tensor>(inputs.size()), ""};
  if (!out.requires_grad()) {
    result.error =
        "the output is not connected to the autograd graph (a .detach(), .data(), NoGradGuard or a "
        "tensor rebuilt from values cuts it), so no gradient can flow back";
    return result;
  }
  if (out.sizes() != weight.sizes()) return result;  // the output comparison reports the shape
  // A parameter frozen with requires_grad(false) gets no gradient (autograd::grad would throw on it).
  std::vector<torch::Tensor> trainable;
  for (const auto& t : inputs) {
    if (t.requires_grad()) trainable.push_back(t);
  }
  auto grads = torch::autograd::grad({out}, trainable, {weight}, /*retain_graph=*/false, /*create_graph=*/false,
                                     /*allow_unused=*/true);
  for (size_t i = 0, next = 0; i < inputs.size(); ++i) {
    if (inputs[i].requires_grad()) result.grads[i] = grads[next++];
  }
  return result;
}

std::optional<std::string> check_gradients(Pair& m, const Config& c, const torch::Tensor& x) {
  if (m.load_error) return load_failure(m, c);
  std::vector<std::string> names = m.reference->named_parameters().keys();
  auto weight = torch::randn({x.size(0), x.size(1), c.d_model}, x.options());
  auto want = run_backward(
      *m.reference, [&](const torch::Tensor& t) { return m.reference->forward(t); }, names, x, weight);
  auto got = run_backward(
      *m.learner, [&](const torch::Tensor& t) { return m.learner->forward(t); }, names, x, weight);
  const std::string what_case = describe_case(c, x);
  if (auto e = diff(got.out, want.out, "output", what_case)) return e;
  if (!got.error.empty()) return fmt::format("{}\ncase: {}", got.error, what_case);
  names.insert(names.begin(), "x");
  for (size_t i = 0; i < names.size(); ++i) {
    std::string what = "gradient w.r.t. " + names[i];
    if (!got.grads[i].defined())
      return fmt::format("{}: no gradient reached it (unused, or used through a detached tensor?)\ncase: {}", what,
                         what_case);
    if (auto e = diff(got.grads[i], want.grads[i], what, what_case)) return e;
  }
  return std::nullopt;
}

TEST(DecoderBlock, ParametersMatchContract) {
  kata_test::meaning(
      "Your module's parameters differ from the contract: register ln1, q_proj, k_proj, v_proj, "
      "o_proj, ln2, fc1, fc2 with register_module under exactly these names, Linear layers with bias, "
      "fc1 d_model -> d_ff and fc2 d_ff -> d_model, LayerNorm over d_model.");
  for (const auto& c : {Config{12, 3, 20}, Config{8, 8, 4}}) {
    kata::DecoderBlock learner(c.d_model, c.n_heads, c.d_ff);
    reference::kata::DecoderBlock reference(c.d_model, c.n_heads, c.d_ff);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) {
      FAIL() << *e << "\ncase: " << describe_config(c);
    }
  }
}

TEST(DecoderBlock, AttentionBranch) {
  kata_test::meaning(
      "With the MLP branch silenced (fc2 = 0) the output x + o_proj(attention(ln1(x))) differs: check "
      "the head split (view as [B, T, n_heads, head_size] then transpose(1, 2), and back), the scale "
      "1/sqrt(head_size) (not d_model), the causal mask, softmax over keys, and the residual.");
  expect_outputs_match(torch::kFloat64, /*silence=*/"fc2");
}

TEST(DecoderBlock, MlpBranch) {
  kata_test::meaning(
      "With the attention branch silenced (o_proj = 0) the output x + fc2(gelu(fc1(ln2(x)))) "
      "differs: GELU is the exact erf form (torch::gelu's default, not the tanh approximation nor "
      "ReLU), ln2 comes before fc1, and the MLP result is added to its input.");
  expect_outputs_match(torch::kFloat64, /*silence=*/"o_proj");
}

TEST(DecoderBlock, OutputFloat64) {
  kata_test::meaning(
      "The block's output differs: check the pre-LayerNorm order (h = x + attn(ln1(x)), then "
      "out = h + mlp(ln2(h)); LayerNorm is applied to each branch's input, not after the residual "
      "sum), both residual additions, LayerNorm eps 1e-5, and that forward uses the registered "
      "modules (assign register_module's result to the member).");
  expect_outputs_match(torch::kFloat64);
}

TEST(DecoderBlock, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build masks and constants with "
                     "x's dtype (x.options()) instead of the default dtype or double tensors.");
  expect_outputs_match(torch::kFloat32);
}

TEST(DecoderBlock, NoFutureLeakage) {
  kata_test::meaning(
      "Changing x at positions after t changed the output at t: the causal mask is missing, "
      "inverted, or built on the wrong axis (query i may only attend to keys j <= i).");
  // The learner's module with its own initial weights: this check does not depend on the parameter names.
  for (const auto& c : kConfigs) {
    kata::DecoderBlock block(c.d_model, c.n_heads, c.d_ff);
    block->to(torch::kFloat64);
    auto x = random_x(c, {2, 6});
    auto full = block->forward(x);
    if (full.sizes() != x.sizes())
      FAIL() << fmt::format("output has shape {}, expected {}\ncase: {}", shape_of(full), shape_of(x),
                            describe_case(c, x));
    for (int64_t t : {0, 2, 4}) {
      auto perturbed = x.clone();
      auto after_t = Slice(t + 1, torch::indexing::None);
      perturbed.index_put_({Slice(), after_t}, torch::randn_like(x.index({Slice(), after_t})) * 3);
      auto up_to_t = Slice(0, t + 1);
      KATA_ASSERT_OK(diff(block->forward(perturbed).index({Slice(), up_to_t}), full.index({Slice(), up_to_t}),
                          fmt::format("output at positions <= {} after changing x at positions > {}", t, t),
                          describe_case(c, x)));
    }
  }
}

TEST(DecoderBlock, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Every parameter must be used through differentiable tensor ops (no .detach(), .data(), "
                     "NoGradGuard or values copied out with .item()), and each registered module must be the "
                     "one used in forward.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors "
                     "autograd saved, or a registered module that forward does not use.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      auto m = make_pair(c, dtype);
      KATA_ASSERT_OK(check_gradients(m, c, random_x(c, {2, 5}, dtype)));
    }
  }
}

TEST(DecoderBlock, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence, a batch of one or a single head breaks a solution that squeezes "
      "dimensions, hard-codes sizes or builds the mask from the wrong dimension.");
  for (const auto& c : {Config{8, 2, 16}, Config{4, 1, 4}, Config{4, 4, 2}}) {
    for (const auto& s : std::vector<Shape>{{1, 1}, {3, 1}, {1, 6}}) {
      auto m = make_pair(c, torch::kFloat64);
      KATA_ASSERT_OK(check_output(m, c, random_x(c, s)));
    }
  }
}

TEST(DecoderBlock, NonContiguousInput) {
  kata_test::meaning(
      "An x that is a view (transposed storage, or sliced from a wider tensor) gives different "
      "results: .view() on a non-contiguous tensor or raw data_ptr indexing assumes a memory layout; "
      "use reshape or make it contiguous.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    auto x = random_x(c, {2, 5});
    KATA_ASSERT_OK(check_output(m, c, kata_test::non_contiguous(x)));
    auto sliced = torch::cat({x, x}, /*dim=*/-1).narrow(/*dim=*/-1, /*start=*/c.d_model, /*length=*/c.d_model);
    KATA_ASSERT_OK(check_output(m, c, sliced));
  }
}

TEST(DecoderBlock, InputUnchanged) {
  kata_test::meaning(
      "forward wrote into x (an in-place op such as x.add_ or a residual written as x += ...): "
      "callers reuse x, so it must be left as it was.");
  const Config c{8, 2, 16};
  kata::DecoderBlock block(c.d_model, c.n_heads, c.d_ff);
  block->to(torch::kFloat64);
  auto x = random_x(c, {2, 5});
  auto before = x.clone();
  block->forward(x);
  KATA_ASSERT_OK(diff(x, before, "x after forward", describe_case(c, before), kata_test::Tolerance{0, 0}));
}

}  // namespace

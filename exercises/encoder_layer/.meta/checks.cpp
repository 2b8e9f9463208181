// Hidden tests for encoder_layer: the learner's kata::EncoderLayer, loaded with the reference's weights by
// parameter name, against reference::kata::EncoderLayer in both LayerNorm placements, with and without a key
// padding mask, plus what padding promises (a padded batch gives each sequence the result it gets alone).
#include "kata_test.h"

#include <fmt/format.h>

#include "encoder_layer.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t d_model, n_heads, d_ff;
  bool norm_first;
};
// Head sizes 4, 4, 3, 2, 1, each in both LayerNorm placements.
std::vector<Config> configs(bool norm_first) {
  return {{8, 2, 16, norm_first}, {12, 3, 20, norm_first}, {6, 1, 10, norm_first}, {8, 4, 16, norm_first},
          {6, 6, 8, norm_first}};
}
struct Shape {
  int64_t batch, seq;
};
const std::vector<Shape> kShapes = {{2, 5}, {3, 4}, {1, 7}};

std::string describe_config(const Config& c) {
  return fmt::format("EncoderLayer(d_model={}, n_heads={}, d_ff={}, norm_first={})", c.d_model, c.n_heads, c.d_ff,
                     c.norm_first);
}
std::string describe_case(const Config& c, const torch::Tensor& x, const torch::Tensor& padding) {
  std::vector<std::pair<std::string, torch::Tensor>> inputs = {{"x", x}};
  if (padding.defined()) inputs.emplace_back("key_padding_mask", padding);
  return describe_config(c) + ", " + kata_test::describe(inputs);
}


// A learner module and a reference module of one config and dtype with identical weights. The LayerNorms'
// weights and biases are randomised too, so a LayerNorm left out or put in the wrong place always shows.
struct Pair {
  kata::EncoderLayer learner{nullptr};
  reference::kata::EncoderLayer reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype) {
  Pair m{kata::EncoderLayer(c.d_model, c.n_heads, c.d_ff, c.norm_first),
         reference::kata::EncoderLayer(c.d_model, c.n_heads, c.d_ff, c.norm_first)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m.reference->named_parameters()) {
      if (p.key().rfind("ln", 0) != 0) continue;
      const double center = p.key().find("weight") != std::string::npos ? 1.0 : 0.0;
      p.value().copy_(torch::randn_like(p.value()) * 0.3 + center);
    }
  }
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference weights into your module:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_x(const Config& c, const Shape& s, torch::ScalarType dtype = torch::kFloat64) {
  return torch::randn({s.batch, s.seq, c.d_model}, torch::TensorOptions().dtype(dtype));
}

// The learner's output against the reference's on `same` (x and the mask with the same values; the reference
// runs first, on untouched inputs).
std::optional<std::string> output_diff(Pair& m, const Config& c, const torch::Tensor& x, const torch::Tensor& padding,
                                       const std::vector<torch::Tensor>& same = {}) {
  if (m.load_error) return load_failure(m, c);
  auto want = same.empty() ? m.reference->forward(x, padding) : m.reference->forward(same[0], same[1]);
  return diff(m.learner->forward(x, padding), want, "output", describe_case(c, x, padding));
}

void expect_outputs_match(bool norm_first, bool padded, torch::ScalarType dtype = torch::kFloat64) {
  for (const auto& c : configs(norm_first)) {
    for (const auto& s : kShapes) {
      auto m = make_pair(c, dtype);
      auto padding = padded ? kata_test::random_padding(s.batch, s.seq) : torch::Tensor();
      KATA_ASSERT_OK(output_diff(m, c, random_x(c, s, dtype), padding));
    }
  }
}

TEST(EncoderLayer, ParametersMatchContract) {
  kata_test::meaning(
      "Your module's parameters differ from the contract: register q_proj, k_proj, v_proj, o_proj (Linear "
      "d_model -> d_model), fc1 (d_model -> d_ff), fc2 (d_ff -> d_model), all with bias, and ln1, ln2 "
      "(LayerNorm over d_model), with register_module under exactly these names.");
  for (const auto& c : {Config{12, 3, 20, false}, Config{8, 8, 4, true}}) {
    kata::EncoderLayer learner(c.d_model, c.n_heads, c.d_ff, c.norm_first);
    reference::kata::EncoderLayer reference(c.d_model, c.n_heads, c.d_ff, c.norm_first);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
  }
}

TEST(EncoderLayer, PostLN) {
  kata_test::meaning(
      "With norm_first false (post-LN, the original Transformer) the output differs: each LayerNorm comes "
      "after its residual addition, h = ln1(x + attn(x)), out = ln2(h + ffn(h)), so the output is normalised; "
      "attention sees every position (no causal mask) with scale 1/sqrt(head size), ffn is fc2(relu(fc1(.))).");
  expect_outputs_match(/*norm_first=*/false, /*padded=*/false);
}

TEST(EncoderLayer, PreLN) {
  kata_test::meaning(
      "With norm_first true (pre-LN) the output differs: each LayerNorm normalises its sublayer's input "
      "and the residual stream is left alone, h = x + attn(ln1(x)), out = h + ffn(ln2(h)).");
  expect_outputs_match(/*norm_first=*/true, /*padded=*/false);
}

TEST(EncoderLayer, KeyPaddingMask) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN where a position has no key left to attend to: key_padding_mask true means padding, so "
                     "hide the keys where it is true and keep the rest.");
  kata_test::meaning(
      "With a key_padding_mask the output differs: a padded position j of sequence b is hidden as a key from "
      "every query of b, in every head (scores.masked_fill(mask.view({B, 1, 1, T}), -inf) before the "
      "softmax); the mask marks keys, not queries, and padded queries still get an output.");
  expect_outputs_match(/*norm_first=*/false, /*padded=*/true);
  expect_outputs_match(/*norm_first=*/true, /*padded=*/true);
}

TEST(EncoderLayer, PaddedBatchMatchesAlone) {
  kata_test::meaning(
      "A padded sequence's real positions must get exactly what the sequence gets alone, unpadded: here the "
      "padding changed them, so padded keys are still attended to (or the mask hides the wrong ones).");
  for (bool norm_first : {false, true}) {
    for (const auto& c : configs(norm_first)) {
      auto m = make_pair(c, torch::kFloat64);
      if (m.load_error) FAIL() << load_failure(m, c);
      auto x = random_x(c, {3, 6});
      auto padding = kata_test::random_padding(3, 6);
      auto batched = m.learner->forward(x, padding);
      for (int64_t b = 0; b < 3; ++b) {
        const int64_t len = padding[b].logical_not().sum().item<int64_t>();
        auto alone = m.learner->forward(x.index({Slice(b, b + 1), Slice(0, len)}), {});
        KATA_ASSERT_OK(diff(batched.index({Slice(b, b + 1), Slice(0, len)}), alone,
                            fmt::format("real positions of sequence {} (length {} of 6) in the padded batch, "
                                        "compared with your output for it alone",
                                        b, len),
                            describe_case(c, x, padding)));
      }
    }
  }
}

TEST(EncoderLayer, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build masks and constants from "
                     "x.options() instead of the default dtype or double tensors.");
  kata_test::meaning("The float32 output differs from the reference's in float32.");
  expect_outputs_match(/*norm_first=*/false, /*padded=*/true, torch::kFloat32);
  expect_outputs_match(/*norm_first=*/true, /*padded=*/true, torch::kFloat32);
}

TEST(EncoderLayer, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach x and every parameter: no .detach(), .data(), NoGradGuard or values "
                     "copied out with .item(), and forward must use the registered modules.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors autograd "
                     "saved (a residual written as h += ...).");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (bool norm_first : {false, true}) {
      for (const auto& c : configs(norm_first)) {
        auto m = make_pair(c, dtype);
        if (m.load_error) FAIL() << load_failure(m, c);
        auto x = random_x(c, {2, 5}, dtype);
        auto padding = kata_test::random_padding(2, 5);
        auto weight = torch::randn_like(x);
        const auto parameters = m.reference->named_parameters().keys();
        auto run = [&](auto& module) {
          return kata_test::run_backward([&](const std::vector<torch::Tensor>& in) { return module->forward(in[0], padding); },
                                         {x}, weight, kata_test::parameters_named(*module, parameters));
        };
        auto want = run(m.reference);
        std::vector<std::string> names = {"x"};
        names.insert(names.end(), parameters.begin(), parameters.end());
        KATA_ASSERT_OK(kata_test::backward_diff(run(m.learner), want, names, describe_case(c, x, padding)));
      }
    }
  }
}

TEST(EncoderLayer, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence, a batch of one, one head or as many heads as channels breaks a solution that "
      "squeezes dimensions or hard-codes sizes.");
  for (bool norm_first : {false, true}) {
    for (const auto& c : {Config{8, 2, 16, norm_first}, Config{4, 1, 4, norm_first}, Config{4, 4, 2, norm_first}}) {
      for (const auto& s : std::vector<Shape>{{1, 1}, {3, 1}, {1, 6}}) {
        auto m = make_pair(c, torch::kFloat64);
        KATA_ASSERT_OK(output_diff(m, c, random_x(c, s), kata_test::random_padding(s.batch, s.seq)));
      }
    }
  }
}

TEST(EncoderLayer, NonContiguousInputs) {
  kata_test::meaning(
      "An x or mask that is a view (transposed storage, or sliced from a wider tensor) gives different results: "
      ".view() on a non-contiguous tensor or raw data_ptr indexing assumes a memory layout; use reshape.");
  for (bool norm_first : {false, true}) {
    for (const auto& c : configs(norm_first)) {
      auto m = make_pair(c, torch::kFloat64);
      auto x = random_x(c, {2, 5});
      auto padding = kata_test::random_padding(2, 5);
      KATA_ASSERT_OK(
          output_diff(m, c, kata_test::non_contiguous(x), kata_test::non_contiguous(padding), {x, padding}));
      auto sliced = torch::cat({x, x}, /*dim=*/-1).narrow(/*dim=*/-1, c.d_model, c.d_model);
      KATA_ASSERT_OK(output_diff(m, c, sliced, padding, {x, padding}));
    }
  }
}

TEST(EncoderLayer, InputsUnchanged) {
  kata_test::meaning(
      "forward wrote into x or the mask (an in-place op such as x.add_, a residual written as x += ..., or "
      "mask.logical_not_()): callers reuse them, so they must be left as they were.");
  for (bool norm_first : {false, true}) {
    const Config c{8, 2, 16, norm_first};
    kata::EncoderLayer layer(c.d_model, c.n_heads, c.d_ff, c.norm_first);
    layer->to(torch::kFloat64);
    auto x = random_x(c, {2, 5});
    auto padding = kata_test::random_padding(2, 5);
    auto x_before = x.clone(), padding_before = padding.clone();
    layer->forward(x, padding);
    KATA_ASSERT_OK(diff(x, x_before, "x after forward", describe_case(c, x_before, padding_before),
                        kata_test::Tolerance{0, 0}));
    KATA_ASSERT_OK(diff(padding, padding_before, "key_padding_mask after forward",
                        describe_case(c, x_before, padding_before), kata_test::Tolerance{0, 0}));
  }
}

}  // namespace

// Hidden tests for seq2seq_decoder_layer: the learner's kata::DecoderLayer, loaded with the reference's weights
// by parameter name, against reference::kata::DecoderLayer: each sublayer alone (the others silenced), the whole
// layer with and without the memory's padding mask, and what the masks promise (no future leakage, padded
// memory changes nothing).
#include "kata_test.h"

#include <fmt/format.h>

#include "seq2seq_decoder_layer.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t d_model, n_heads, d_ff;
};
// Head sizes 4, 4, 3, 2, 1.
const std::vector<Config> kConfigs = {{8, 2, 16}, {12, 3, 20}, {6, 1, 10}, {8, 4, 16}, {6, 6, 8}};
struct Shape {
  int64_t batch, tgt_len, src_len;
};
// The source is longer, shorter, much shorter than the target: never the same length, so keys and values taken
// from the wrong input, or a mask of the wrong size, cannot pass by accident.
const std::vector<Shape> kShapes = {{2, 5, 7}, {3, 4, 3}, {2, 6, 2}};

std::string describe_config(const Config& c) {
  return fmt::format("DecoderLayer(d_model={}, n_heads={}, d_ff={})", c.d_model, c.n_heads, c.d_ff);
}
std::string describe_case(const Config& c, const torch::Tensor& x, const torch::Tensor& memory,
                          const torch::Tensor& padding) {
  std::vector<std::pair<std::string, torch::Tensor>> inputs = {{"x", x}, {"memory", memory}};
  if (padding.defined()) inputs.emplace_back("memory_padding_mask", padding);
  return describe_config(c) + ", " + kata_test::describe(inputs);
}

// A learner module and a reference module of one config and dtype with identical weights. The LayerNorms are
// randomised too, so one left out or misplaced always shows; `silence` lists submodules whose weight and bias
// are zeroed in both (a sublayer with o_proj or fc2 silenced adds nothing).
struct Pair {
  kata::DecoderLayer learner{nullptr};
  reference::kata::DecoderLayer reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype, const std::vector<std::string>& silence = {}) {
  Pair m{kata::DecoderLayer(c.d_model, c.n_heads, c.d_ff), reference::kata::DecoderLayer(c.d_model, c.n_heads, c.d_ff)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m.reference->named_parameters()) {
      if (p.key().rfind("ln", 0) == 0) {
        const double center = p.key().find("weight") != std::string::npos ? 1.0 : 0.0;
        p.value().copy_(torch::randn_like(p.value()) * 0.3 + center);
      }
      for (const auto& s : silence)
        if (p.key().rfind(s + ".", 0) == 0) p.value().zero_();
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

torch::Tensor random_input(const Config& c, int64_t batch, int64_t len, torch::ScalarType dtype = torch::kFloat64) {
  return torch::randn({batch, len, c.d_model}, torch::TensorOptions().dtype(dtype));
}

// The learner's output against the reference's on `same` (the same values; the reference runs first, on
// untouched inputs).
std::optional<std::string> output_diff(Pair& m, const Config& c, const torch::Tensor& x, const torch::Tensor& memory,
                                       const torch::Tensor& padding, const std::vector<torch::Tensor>& same = {}) {
  if (m.load_error) return load_failure(m, c);
  auto want = same.empty() ? m.reference->forward(x, memory, padding) : m.reference->forward(same[0], same[1], same[2]);
  return diff(m.learner->forward(x, memory, padding), want, "output", describe_case(c, x, memory, padding));
}

void expect_outputs_match(bool padded, torch::ScalarType dtype, const std::vector<std::string>& silence = {}) {
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, dtype, silence);
    for (const auto& s : kShapes) {
      auto padding = padded ? kata_test::random_padding(s.batch, s.src_len) : torch::Tensor();
      KATA_ASSERT_OK(output_diff(m, c, random_input(c, s.batch, s.tgt_len, dtype),
                                 random_input(c, s.batch, s.src_len, dtype), padding));
    }
  }
}

TEST(Seq2SeqDecoderLayer, ParametersMatchContract) {
  kata_test::meaning(
      "Your module's parameters differ from the contract: register self_attn and cross_attn (each an "
      "Attention with q_proj, k_proj, v_proj, o_proj: Linear d_model -> d_model with bias), fc1 (d_model -> "
      "d_ff), fc2 (d_ff -> d_model) and ln1, ln2, ln3 (LayerNorm over d_model), with register_module under "
      "exactly these names.");
  for (const auto& c : {Config{12, 3, 20}, Config{8, 8, 4}}) {
    kata::DecoderLayer learner(c.d_model, c.n_heads, c.d_ff);
    reference::kata::DecoderLayer reference(c.d_model, c.n_heads, c.d_ff);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
  }
}

TEST(Seq2SeqDecoderLayer, SelfAttentionBranch) {
  kata_test::meaning(
      "With cross-attention and the FFN silenced (their output projections zero), x + self_attn(ln1(x)) "
      "differs: self-attention is causal (query i sees positions j <= i of x), with q, k and v all from ln1(x), "
      "scale 1/sqrt(head size), softmax over the keys, heads merged back (transpose before reshape), o_proj.");
  expect_outputs_match(/*padded=*/false, torch::kFloat64, {"cross_attn.o_proj", "fc2"});
}

TEST(Seq2SeqDecoderLayer, CrossAttentionBranch) {
  kata_test::meaning(
      "With self-attention and the FFN silenced, x + cross_attn(ln2(x), memory) differs: the queries come from "
      "ln2 of the decoder's stream, the keys and values from memory as it is (not normalised, not from x), and "
      "every target position sees every source position (no causal mask on the memory).");
  expect_outputs_match(/*padded=*/false, torch::kFloat64, {"self_attn.o_proj", "fc2"});
}

TEST(Seq2SeqDecoderLayer, FeedForwardBranch) {
  kata_test::meaning(
      "With both attentions silenced, x + fc2(relu(fc1(ln3(x)))) differs: ReLU (not GELU), ln3 before fc1, and "
      "the residual addition.");
  expect_outputs_match(/*padded=*/false, torch::kFloat64, {"self_attn.o_proj", "cross_attn.o_proj"});
}

TEST(Seq2SeqDecoderLayer, OutputFloat64) {
  kata_test::meaning(
      "The whole layer differs though each sublayer alone may not: check the order (self-attention, then "
      "cross-attention, then the FFN), that each sublayer reads the previous one's residual output through its "
      "own LayerNorm (ln1, ln2, ln3), and all three residual additions.");
  expect_outputs_match(/*padded=*/false, torch::kFloat64);
}

TEST(Seq2SeqDecoderLayer, MemoryPaddingMask) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN where a query has no key left: memory_padding_mask true means padding, so hide the memory "
                     "positions where it is true and keep the rest.");
  kata_test::meaning(
      "With memory_padding_mask the output differs: padded source positions are hidden from every target "
      "position in cross-attention (scores.masked_fill(mask.view({B, 1, 1, src_len}), -inf)); the mask belongs "
      "to the memory, so self-attention does not use it.");
  expect_outputs_match(/*padded=*/true, torch::kFloat64);
}

TEST(Seq2SeqDecoderLayer, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build masks and constants from "
                     "x.options() instead of the default dtype or double tensors.");
  kata_test::meaning("The float32 output differs from the reference's in float32.");
  expect_outputs_match(/*padded=*/true, torch::kFloat32);
}

TEST(Seq2SeqDecoderLayer, NoFutureLeakage) {
  kata_test::meaning(
      "Changing x at positions after t changed the output at t: the self-attention's causal mask is missing, "
      "inverted or on the wrong axis.");
  for (const auto& c : kConfigs) {
    kata::DecoderLayer layer(c.d_model, c.n_heads, c.d_ff);
    layer->to(torch::kFloat64);
    auto x = random_input(c, 2, 6), memory = random_input(c, 2, 4);
    auto before = layer->forward(x, memory, {});
    if (before.sizes() != x.sizes()) KATA_ASSERT_OK(diff(before, x, "output", describe_case(c, x, memory, {})));
    for (int64_t t : {0, 2, 4}) {
      auto perturbed = x.clone();
      auto after_t = Slice(t + 1, torch::indexing::None);
      perturbed.index_put_({Slice(), after_t}, torch::randn_like(x.index({Slice(), after_t})) * 3);
      auto up_to_t = Slice(0, t + 1);
      KATA_ASSERT_OK(diff(layer->forward(perturbed, memory, {}).index({Slice(), up_to_t}), before.index({Slice(), up_to_t}),
                          fmt::format("output at positions <= {} after changing x at positions > {}", t, t),
                          describe_case(c, x, memory, {})));
    }
  }
}

TEST(Seq2SeqDecoderLayer, PaddedMemoryChangesNothing) {
  kata_test::meaning(
      "Appending padded positions to memory (any values, marked true in memory_padding_mask) changed the "
      "output: cross-attention still attends to the padding.");
  for (const auto& c : kConfigs) {
    kata::DecoderLayer layer(c.d_model, c.n_heads, c.d_ff);
    layer->to(torch::kFloat64);
    auto x = random_input(c, 2, 4), memory = random_input(c, 2, 3);
    auto alone = layer->forward(x, memory, {});
    auto padded = torch::cat({memory, random_input(c, 2, 2) * 5}, /*dim=*/1);
    auto padding = torch::arange(5).unsqueeze(0).expand({2, 5}) >= 3;
    KATA_ASSERT_OK(diff(layer->forward(x, padded, padding), alone,
                        "output with 2 padded positions appended to memory (compared with your output without them)",
                        describe_case(c, x, padded, padding)));
  }
}

TEST(Seq2SeqDecoderLayer, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach x, memory (the encoder trains through cross-attention) and every "
                     "parameter: no .detach(), .data(), NoGradGuard or values copied out with .item(), and forward "
                     "must use the registered modules.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors autograd "
                     "saved (a residual written as h += ...).");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      std::vector<torch::Tensor> inputs = {random_input(c, 2, 5, dtype), random_input(c, 2, 7, dtype)};
      auto padding = kata_test::random_padding(2, 7);
      auto weight = torch::randn_like(inputs[0]);
      const auto parameters = m.reference->named_parameters().keys();
      auto run = [&](auto& module) {
        return kata_test::run_backward(
            [&](const std::vector<torch::Tensor>& in) { return module->forward(in[0], in[1], padding); }, inputs,
            weight, kata_test::parameters_named(*module, parameters));
      };
      auto want = run(m.reference);
      std::vector<std::string> names = {"x", "memory"};
      names.insert(names.end(), parameters.begin(), parameters.end());
      KATA_ASSERT_OK(
          kata_test::backward_diff(run(m.learner), want, names, describe_case(c, inputs[0], inputs[1], padding)));
    }
  }
}

TEST(Seq2SeqDecoderLayer, EdgeShapes) {
  kata_test::meaning(
      "A one-token target or source, a batch of one, one head or as many heads as channels breaks a solution "
      "that squeezes dimensions, hard-codes sizes or takes a length from the wrong input.");
  for (const auto& c : {Config{8, 2, 16}, Config{4, 1, 4}, Config{4, 4, 2}}) {
    for (const auto& s : std::vector<Shape>{{1, 1, 1}, {2, 1, 4}, {2, 3, 1}, {1, 4, 4}}) {
      auto m = make_pair(c, torch::kFloat64);
      KATA_ASSERT_OK(output_diff(m, c, random_input(c, s.batch, s.tgt_len), random_input(c, s.batch, s.src_len),
                                 kata_test::random_padding(s.batch, s.src_len)));
    }
  }
}

TEST(Seq2SeqDecoderLayer, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views (transposed storage, or sliced from a wider tensor) give different results: "
      ".view() on a non-contiguous tensor or raw data_ptr indexing assumes a memory layout; use reshape.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    auto x = random_input(c, 2, 5), memory = random_input(c, 2, 7);
    auto padding = kata_test::random_padding(2, 7);
    KATA_ASSERT_OK(output_diff(m, c, kata_test::non_contiguous(x), kata_test::non_contiguous(memory),
                               kata_test::non_contiguous(padding), {x, memory, padding}));
    auto sliced = torch::cat({memory, memory}, /*dim=*/-1).narrow(/*dim=*/-1, c.d_model, c.d_model);
    KATA_ASSERT_OK(output_diff(m, c, x, sliced, padding, {x, memory, padding}));
  }
}

TEST(Seq2SeqDecoderLayer, InputsUnchanged) {
  kata_test::meaning(
      "forward wrote into an input (an in-place op such as x.add_, a residual written as x += ..., or "
      "mask.logical_not_()): callers reuse them (memory feeds every decoder layer), so they must be left as "
      "they were.");
  const Config c{8, 2, 16};
  kata::DecoderLayer layer(c.d_model, c.n_heads, c.d_ff);
  layer->to(torch::kFloat64);
  std::vector<torch::Tensor> inputs = {random_input(c, 2, 5), random_input(c, 2, 7), kata_test::random_padding(2, 7)};
  std::vector<torch::Tensor> before;
  for (const auto& t : inputs) before.push_back(t.clone());
  layer->forward(inputs[0], inputs[1], inputs[2]);
  const char* names[] = {"x", "memory", "memory_padding_mask"};
  for (int i = 0; i < 3; ++i)
    KATA_ASSERT_OK(diff(inputs[i], before[i], std::string(names[i]) + " after forward",
                        describe_case(c, before[0], before[1], before[2]), kata_test::Tolerance{0, 0}));
}

}  // namespace

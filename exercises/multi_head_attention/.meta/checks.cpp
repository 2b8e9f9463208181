// Hidden tests for multi_head_attention: the learner's kata::MultiHeadAttention, loaded with the reference's
// weights by parameter name, against reference::kata::MultiHeadAttention, in self- and cross-attention, with
// each mask alone and both together, plus what the masks promise (a padded key never matters).
#include "kata_test.h"

#include <fmt/format.h>

#include "multi_head_attention.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t d_model, n_heads;
};
// Head sizes 4, 4, 3, 2, 1: n_heads == 1 hides the head-split and scale mistakes, n_heads == d_model shows most.
const std::vector<Config> kConfigs = {{8, 2}, {12, 3}, {6, 1}, {8, 4}, {6, 6}};

struct Shape {
  int64_t batch, q_len, kv_len;
};
// Self-attention needs q_len == kv_len; cross-attention shapes have kv_len != q_len, longer and shorter.
const std::vector<Shape> kSelfShapes = {{2, 5, 5}, {3, 4, 4}};
const std::vector<Shape> kCrossShapes = {{2, 4, 7}, {3, 6, 3}};

// The masks of one call; an undefined tensor is a mask not given.
struct Masks {
  torch::Tensor attn, padding;
};

// Query i may attend to key 0 always, never to key 1 + i % (kv_len - 1), and to each other key at random:
// every row keeps a key and hides one, so ignoring, inverting or misplacing the mask always shows.
torch::Tensor random_attn_mask(int64_t q_len, int64_t kv_len) {
  auto mask = torch::rand({q_len, kv_len}) < 0.5;
  mask.index_put_({Slice(), 0}, true);
  if (kv_len > 1) {
    auto hidden = torch::arange(q_len).remainder(kv_len - 1) + 1;
    mask.index_put_({torch::arange(q_len), hidden}, false);
  }
  return mask;
}

// The causal mask of self-attention: query i may attend to keys j <= i.
torch::Tensor causal_mask(int64_t len) { return torch::ones({len, len}, torch::kBool).tril(); }


// A learner module and a reference module of one config and dtype with identical weights.
struct Pair {
  kata::MultiHeadAttention learner{nullptr};
  reference::kata::MultiHeadAttention reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype) {
  Pair m{kata::MultiHeadAttention(c.d_model, c.n_heads), reference::kata::MultiHeadAttention(c.d_model, c.n_heads)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string describe_config(const Config& c) {
  return fmt::format("MultiHeadAttention(d_model={}, n_heads={})", c.d_model, c.n_heads);
}

// "MultiHeadAttention(d_model=8, n_heads=2), query [2, 4, 8] float64, key_value [2, 7, 8] float64, attn_mask
// [4, 7] bool, key_padding_mask [2, 7] bool, seed 7" (a mask not given is left out).
std::string describe_case(const Config& c, const torch::Tensor& query, const torch::Tensor& key_value,
                          const Masks& masks) {
  std::vector<std::pair<std::string, torch::Tensor>> inputs = {{"query", query}, {"key_value", key_value}};
  if (masks.attn.defined()) inputs.emplace_back("attn_mask", masks.attn);
  if (masks.padding.defined()) inputs.emplace_back("key_padding_mask", masks.padding);
  return describe_config(c) + ", " + kata_test::describe(inputs);
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference weights into your module:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_input(const Config& c, int64_t batch, int64_t len, torch::ScalarType dtype) {
  return torch::randn({batch, len, c.d_model}, torch::TensorOptions().dtype(dtype));
}

// The learner's output on (query, key_value, masks) against the reference's on `same` (the same values, the
// reference first, so it sees untouched inputs).
std::optional<std::string> output_diff(Pair& m, const Config& c, const torch::Tensor& query,
                                       const torch::Tensor& key_value, const Masks& masks,
                                       const std::vector<torch::Tensor>& same = {}) {
  if (m.load_error) return load_failure(m, c);
  auto want = same.empty() ? m.reference->forward(query, key_value, masks.attn, masks.padding)
                           : m.reference->forward(same[0], same[1], same[2], same[3]);
  return diff(m.learner->forward(query, key_value, masks.attn, masks.padding), want, "output",
              describe_case(c, query, key_value, masks));
}

enum class Kind { self, cross };
// Every config, on self- or cross-attention shapes, with the masks `make_masks` builds for each shape.
void expect_outputs_match(Kind kind, torch::ScalarType dtype, const std::function<Masks(const Shape&)>& make_masks) {
  for (const auto& c : kConfigs) {
    for (const auto& s : kind == Kind::self ? kSelfShapes : kCrossShapes) {
      auto m = make_pair(c, dtype);
      auto query = random_input(c, s.batch, s.q_len, dtype);
      auto key_value = kind == Kind::self ? query : random_input(c, s.batch, s.kv_len, dtype);
      KATA_ASSERT_OK(output_diff(m, c, query, key_value, make_masks(s)));
    }
  }
}

Masks no_masks(const Shape&) { return {}; }
Masks attn_only(const Shape& s) {
  return {s.q_len == s.kv_len && s.batch % 2 == 1 ? causal_mask(s.q_len) : random_attn_mask(s.q_len, s.kv_len), {}};
}
Masks padding_only(const Shape& s) { return {{}, kata_test::random_padding(s.batch, s.kv_len)}; }
Masks both_masks(const Shape& s) { return {random_attn_mask(s.q_len, s.kv_len), kata_test::random_padding(s.batch, s.kv_len)}; }

TEST(MultiHeadAttention, ParametersMatchContract) {
  kata_test::meaning(
      "Your module's parameters differ from the contract: register q_proj, k_proj, v_proj and o_proj with "
      "register_module under exactly these names, each a Linear d_model -> d_model with bias "
      "(torch::nn::MultiheadAttention does not fit: it packs q, k, v into one in_proj_weight).");
  for (const auto& c : {Config{12, 3}, Config{8, 8}}) {
    kata::MultiHeadAttention learner(c.d_model, c.n_heads);
    reference::kata::MultiHeadAttention reference(c.d_model, c.n_heads);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
  }
}

TEST(MultiHeadAttention, SelfAttention) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "The output is [batch, q_len, d_model]: merge the heads back with transpose(1, 2) and "
                     "reshape({B, T, d_model}) before o_proj.");
  kata_test::meaning(
      "forward(x, x) without masks differs: check the head split (reshape to [B, T, n_heads, head_size], "
      "then transpose(1, 2); heads are contiguous channel slices), the merge (transpose back before "
      "reshaping to [B, T, d_model]), the scale 1/sqrt(head_size) (not d_model), the softmax over the keys "
      "(the last dimension) and o_proj at the end.");
  expect_outputs_match(Kind::self, torch::kFloat64, no_masks);
}

TEST(MultiHeadAttention, CrossAttention) {
  kata_test::meaning(
      "forward(x, memory) with kv_len != q_len differs: queries come from query, keys and values from "
      "key_value (k_proj(key_value), v_proj(key_value)), and the scores are [B, n_heads, q_len, kv_len].");
  expect_outputs_match(Kind::cross, torch::kFloat64, no_masks);
}

TEST(MultiHeadAttention, AttentionMask) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN where a query has no key left: attn_mask true means may attend (the convention of "
                     "scaled_dot_product_attention), so hide the keys where it is false: "
                     "masked_fill(attn_mask.logical_not(), -inf). nn.MultiheadAttention's boolean mask is the "
                     "opposite (true = hidden).");
  kata_test::meaning(
      "With attn_mask [q_len, kv_len] the output differs: hide key j from query i where attn_mask[i][j] is "
      "false, in every batch element and head, by filling those scores with -inf before the softmax "
      "(zeroing weights after it leaves the rest unnormalised).");
  expect_outputs_match(Kind::self, torch::kFloat64, attn_only);
  expect_outputs_match(Kind::cross, torch::kFloat64, attn_only);
}

TEST(MultiHeadAttention, KeyPaddingMask) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN where a query has no key left: key_padding_mask true means padding, so hide the keys "
                     "where it is true (the unpadded ones stay).");
  kata_test::meaning(
      "With key_padding_mask [batch, kv_len] the output differs: a padded key j of batch element b is hidden "
      "from every query of b, in every head (scores.masked_fill(mask.view({B, 1, 1, kv_len}), -inf)); the "
      "mask says which keys are padding, not which queries.");
  expect_outputs_match(Kind::self, torch::kFloat64, padding_only);
  expect_outputs_match(Kind::cross, torch::kFloat64, padding_only);
}

TEST(MultiHeadAttention, BothMasks) {
  kata_test::meaning(
      "With attn_mask and key_padding_mask together the output differs: a key is allowed only when both "
      "allow it (attn_mask true and not padding); apply both before one softmax.");
  expect_outputs_match(Kind::self, torch::kFloat64, both_masks);
  expect_outputs_match(Kind::cross, torch::kFloat64, both_masks);
}

TEST(MultiHeadAttention, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build masks and constants from "
                     "the inputs (query.options()) instead of the default dtype or double tensors.");
  kata_test::meaning("The float32 output differs from the reference's in float32.");
  expect_outputs_match(Kind::self, torch::kFloat32, both_masks);
  expect_outputs_match(Kind::cross, torch::kFloat32, both_masks);
}

TEST(MultiHeadAttention, PaddedKeysChangeNothing) {
  kata_test::meaning(
      "Appending padded keys (with any values, marked true in key_padding_mask) changed the output: padding "
      "exists so that a batch of different lengths gives each element the result it would get alone.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto query = random_input(c, 2, 4, torch::kFloat64);
    auto memory = random_input(c, 2, 3, torch::kFloat64);
    auto alone = m.learner->forward(query, memory, {}, {});
    auto padded_memory = torch::cat({memory, random_input(c, 2, 2, torch::kFloat64) * 5}, /*dim=*/1);
    auto padding = torch::arange(5).unsqueeze(0).expand({2, 5}) >= 3;
    KATA_ASSERT_OK(diff(m.learner->forward(query, padded_memory, {}, padding), alone,
                        "output with 2 padded keys appended to key_value (compared with your output without them)",
                        describe_case(c, query, padded_memory, {{}, padding})));
  }
}

TEST(MultiHeadAttention, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach query, key_value and every parameter: no .detach(), .data(), "
                     "NoGradGuard or values copied out with .item(), and forward must use the registered modules.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors autograd "
                     "saved, or a part computed outside autograd.");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      const Shape s = kCrossShapes[0];
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      std::vector<torch::Tensor> inputs = {random_input(c, s.batch, s.q_len, dtype),
                                           random_input(c, s.batch, s.kv_len, dtype)};
      auto masks = both_masks(s);
      auto weight = torch::randn({s.batch, s.q_len, c.d_model}, inputs[0].options());
      const auto parameters = m.reference->named_parameters().keys();
      auto run = [&](auto& module) {
        return kata_test::run_backward(
            [&](const std::vector<torch::Tensor>& in) { return module->forward(in[0], in[1], masks.attn, masks.padding); },
            inputs, weight, kata_test::parameters_named(*module, parameters));
      };
      auto want = run(m.reference);
      std::vector<std::string> names = {"query", "key_value"};
      names.insert(names.end(), parameters.begin(), parameters.end());
      KATA_ASSERT_OK(
          kata_test::backward_diff(run(m.learner), want, names, describe_case(c, inputs[0], inputs[1], masks)));
    }
  }
}

TEST(MultiHeadAttention, EdgeShapes) {
  kata_test::meaning(
      "One query, one key, a batch of one, one head or as many heads as channels breaks a solution that "
      "squeezes dimensions, hard-codes sizes or takes a length from the wrong input.");
  for (const auto& c : {Config{8, 2}, Config{4, 1}, Config{4, 4}}) {
    for (const auto& s : std::vector<Shape>{{1, 1, 1}, {2, 1, 5}, {2, 4, 1}, {1, 3, 3}}) {
      for (bool masked : {false, true}) {
        auto m = make_pair(c, torch::kFloat64);
        auto query = random_input(c, s.batch, s.q_len, torch::kFloat64);
        auto key_value = random_input(c, s.batch, s.kv_len, torch::kFloat64);
        KATA_ASSERT_OK(output_diff(m, c, query, key_value, masked ? both_masks(s) : Masks{}));
      }
    }
  }
}

TEST(MultiHeadAttention, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views (transposed storage, or sliced from a wider tensor) give different results: "
      ".view() on a non-contiguous tensor or raw data_ptr indexing assumes a memory layout; use reshape.");
  for (const auto& c : kConfigs) {
    const Shape s = kCrossShapes[0];
    auto m = make_pair(c, torch::kFloat64);
    auto query = random_input(c, s.batch, s.q_len, torch::kFloat64);
    auto key_value = random_input(c, s.batch, s.kv_len, torch::kFloat64);
    auto masks = both_masks(s);
    std::vector<torch::Tensor> same = {query, key_value, masks.attn, masks.padding};
    Masks views = {kata_test::non_contiguous(masks.attn), kata_test::non_contiguous(masks.padding)};
    KATA_ASSERT_OK(output_diff(m, c, kata_test::non_contiguous(query), kata_test::non_contiguous(key_value), views, same));
    auto sliced = torch::cat({key_value, key_value}, /*dim=*/-1).narrow(/*dim=*/-1, c.d_model, c.d_model);
    KATA_ASSERT_OK(output_diff(m, c, query, sliced, masks, same));
  }
}

TEST(MultiHeadAttention, InputsUnchanged) {
  kata_test::meaning(
      "forward wrote into an input (an in-place op such as query.mul_ or mask.logical_not_()): callers reuse "
      "them, so they must be left as they were.");
  const Config c{8, 2};
  const Shape s = kCrossShapes[0];
  kata::MultiHeadAttention module(c.d_model, c.n_heads);
  module->to(torch::kFloat64);
  auto masks = both_masks(s);
  std::vector<torch::Tensor> inputs = {random_input(c, s.batch, s.q_len, torch::kFloat64),
                                       random_input(c, s.batch, s.kv_len, torch::kFloat64), masks.attn, masks.padding};
  std::vector<torch::Tensor> before;
  for (const auto& t : inputs) before.push_back(t.clone());
  module->forward(inputs[0], inputs[1], inputs[2], inputs[3]);
  const char* names[] = {"query", "key_value", "attn_mask", "key_padding_mask"};
  for (int i = 0; i < 4; ++i) {
    KATA_ASSERT_OK(diff(inputs[i], before[i], std::string(names[i]) + " after forward",
                        describe_case(c, before[0], before[1], masks), kata_test::Tolerance{0, 0}));
  }
}

}  // namespace

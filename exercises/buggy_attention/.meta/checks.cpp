// Hidden tests for buggy_attention: the learner's repaired kata::MultiHeadAttention (multi_head_attention's
// contract), loaded with the reference's weights by parameter name, against reference::kata::MultiHeadAttention.
//
// The colleague's module has four bugs, and the first four checks after the parameters each let exactly one of
// them show, so that a partial fix is told which bugs are left, each at its own check:
//   HeadMerge           bug 1, heads merged without the transpose: q_proj and k_proj weights zero, so every score
//                       is the same, every query averages the values (scale and softmax axis cannot matter when
//                       q_len == kv_len), no masks;
//   ScaleByHeadSize     bug 4, the scale from d_model: q_len == kv_len == n_heads and weights that make every head's
//                       scores the same circulant symmetric matrix (softmax over either axis is then the same) and
//                       head h's output at position t equal to head t's at position h (the merge without the
//                       transpose swaps exactly these), no masks;
//   SoftmaxOverKeys     bug 3, the softmax over the queries: one head (no split, merge or scale to get wrong),
//                       random weights, no masks;
//   MaskOfEachSequence  bug 2, the per-head copy of the mask mixing batch and head axes: each sequence of a padded
//                       batch against the learner's own output for it alone (the other bugs act within a sequence).
//                       Last of the four: with the softmax over the queries, a padded key gives NaN in both outputs.
// Then the checks of multi_head_attention, where every bug shows.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "buggy_attention.h"

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

TEST(BuggyAttention, ParametersMatchContract) {
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

// ---- The four checks that each let one of the colleague's bugs show, and only that one.

// After a check has set some of the reference's weights: the same weights into the learner's module.
void copy_weights(Pair& m) {
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
}

TEST(BuggyAttention, HeadMerge) {
  kata_test::meaning(
      "The heads are merged in the wrong order: here q_proj and k_proj have zero weights, so every score is the "
      "same and each query averages the values of its head (neither the scale nor the softmax axis can matter), "
      "and the output still differs. y is [B, n_heads, q_len, head_size]: reshape it to [B, q_len, d_model] only "
      "after transpose(1, 2) (back to [B, q_len, n_heads, head_size]); a reshape straight from [B, n_heads, ...] "
      "has the right shape and mixes positions and heads.");
  for (const auto& c : std::vector<Config>{{8, 2}, {12, 3}, {8, 4}, {6, 6}}) {
    for (const auto& s : kSelfShapes) {
      auto m = make_pair(c, torch::kFloat64);
      if (!m.load_error) {
        torch::NoGradGuard no_grad;
        m.reference->q_proj->weight.zero_();
        m.reference->k_proj->weight.zero_();
      }
      copy_weights(m);
      auto query = random_input(c, s.batch, s.q_len, torch::kFloat64);
      KATA_ASSERT_OK(output_diff(m, c, query, query, {}));
    }
  }
}

TEST(BuggyAttention, ScaleByHeadSize) {
  kata_test::meaning(
      "The scores are scaled by the wrong factor: here each head sees the same scores (a symmetric circulant "
      "matrix, so the softmax axis cannot matter) and head h at position t gives what head t gives at position h "
      "(so the order of the merge cannot matter either), and the output still differs. Divide q . k by "
      "sqrt(head_size) = sqrt(d_model / n_heads), the size of the vectors being multiplied, not by sqrt(d_model).");
  const double pi = std::acos(-1.0);
  // (d_model, n_heads): heads of size 2 and 3; the sequences are n_heads long.
  for (const auto& c : std::vector<Config>{{8, 4}, {6, 3}, {6, 2}}) {
    const int64_t H = c.n_heads, D = c.d_model / c.n_heads, T = H, B = 2;
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    // Position t is r_b times the unit vector e_t. q and k of every head put it on a circle of radius a at angle
    // theta_t = phase + 2 pi t / T, so q_i . k_j = (r_b a)^2 cos(theta_j - theta_i) depends on j - i mod T only.
    // v of head h at position t is u[(t + h) mod T]: y[h][t] = sum_k p(k) u[t + k + h] is symmetric in h and t.
    const double a = 1.5 + torch::rand({1}, opts).item<double>(), phase = 2 * pi * torch::rand({1}, opts).item<double>();
    auto u = torch::randn({T, D}, opts);
    {
      torch::NoGradGuard no_grad;
      auto& r = *m.reference;
      for (auto* p : {&r.q_proj->weight, &r.k_proj->weight, &r.v_proj->weight}) p->zero_();
      for (auto* p : {&r.q_proj->bias, &r.k_proj->bias, &r.v_proj->bias}) p->zero_();
      for (int64_t h = 0; h < H; ++h) {
        for (int64_t t = 0; t < T; ++t) {
          const double theta = phase + 2 * pi * static_cast<double>(t) / static_cast<double>(T);
          for (auto* p : {&r.q_proj->weight, &r.k_proj->weight}) {
            (*p)[h * D][t] = a * std::cos(theta);
            (*p)[h * D + 1][t] = a * std::sin(theta);
          }
          for (int64_t d = 0; d < D; ++d) r.v_proj->weight[h * D + d][t] = u[(t + h) % T][d];
        }
      }
    }
    copy_weights(m);
    auto radius = 0.8 + 0.4 * torch::rand({B, 1, 1}, opts);
    auto x = torch::zeros({B, T, c.d_model}, opts);
    x.narrow(/*dim=*/2, 0, T).copy_(torch::eye(T, opts).unsqueeze(0) * radius);
    KATA_ASSERT_OK(output_diff(m, c, x, x, {}));
  }
}

TEST(BuggyAttention, SoftmaxOverKeys) {
  kata_test::meaning(
      "With one head (no split, merge or per-head scale to get wrong) and no masks, the attention differs: each "
      "query's weights must sum to 1 over the keys, so the softmax runs over the last dimension of the [B, "
      "n_heads, q_len, kv_len] scores (dim = -1), not over the queries (dim = -2). If it already does, compare "
      "the scale (1/sqrt(head_size)) and the projections with the contract.");
  for (const auto& c : std::vector<Config>{{6, 1}, {4, 1}, {8, 1}}) {
    for (auto kind : {Kind::self, Kind::cross}) {
      for (const auto& s : kind == Kind::self ? kSelfShapes : kCrossShapes) {
        auto m = make_pair(c, torch::kFloat64);
        auto query = random_input(c, s.batch, s.q_len, torch::kFloat64);
        auto key_value = kind == Kind::self ? query : random_input(c, s.batch, s.kv_len, torch::kFloat64);
        KATA_ASSERT_OK(output_diff(m, c, query, key_value, {}));
      }
    }
  }
}

TEST(BuggyAttention, MaskOfEachSequence) {
  kata_test::meaning(
      "The mask of one sequence reached another sequence's heads: each sequence of a padded batch must get the "
      "output it gets alone, but yours changes with the other sequences of the batch. Look at how the [B, q_len, "
      "kv_len] mask becomes [B, n_heads, q_len, kv_len]: repeat({n_heads, 1, 1}) puts the copies head-major "
      "(index h * B + b), and view({B, n_heads, ...}) reads them batch-major (index b * n_heads + h), so head h of "
      "sequence b gets some other sequence's padding. unsqueeze(1) broadcasts one mask to every head.");
  for (const auto& c : std::vector<Config>{{8, 2}, {12, 3}, {8, 4}, {6, 6}}) {
    for (const auto& s : std::vector<Shape>{{2, 4, 7}, {3, 6, 3}, {2, 5, 5}}) {
      for (bool with_attn_mask : {false, true}) {
        auto m = make_pair(c, torch::kFloat64);
        if (m.load_error) FAIL() << load_failure(m, c);
        auto query = random_input(c, s.batch, s.q_len, torch::kFloat64);
        auto key_value = random_input(c, s.batch, s.kv_len, torch::kFloat64);
        Masks masks = {with_attn_mask ? random_attn_mask(s.q_len, s.kv_len) : torch::Tensor(),
                       kata_test::random_padding(s.batch, s.kv_len)};
        auto together = m.learner->forward(query, key_value, masks.attn, masks.padding);
        for (int64_t b = 0; b < s.batch; ++b) {
          auto one = [&](const torch::Tensor& t) { return t.narrow(/*dim=*/0, b, 1); };
          auto alone = m.learner->forward(one(query), one(key_value), masks.attn, one(masks.padding));
          KATA_ASSERT_OK(diff(one(together), alone,
                              fmt::format("output of sequence {} of the batch (compared with your output for it "
                                          "alone)", b),
                              describe_case(c, query, key_value, masks)));
        }
      }
    }
  }
}

// ---- multi_head_attention's checks: every bug shows in most of them.

TEST(BuggyAttention, SelfAttention) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "The output is [batch, q_len, d_model]: merge the heads back with transpose(1, 2) and "
                     "reshape({B, T, d_model}) before o_proj.");
  kata_test::meaning(
      "forward(x, x) without masks differs. Every one of the colleague's bugs but the mask shows here; the checks "
      "HeadMerge, ScaleByHeadSize and SoftmaxOverKeys above each show one of them alone. If they pass, check the "
      "head split (reshape to [B, T, n_heads, head_size], then transpose(1, 2); heads are contiguous channel "
      "slices) and o_proj at the end.");
  expect_outputs_match(Kind::self, torch::kFloat64, no_masks);
}

TEST(BuggyAttention, CrossAttention) {
  kata_test::meaning(
      "forward(x, memory) with kv_len != q_len differs (the colleague's head merge, scale and softmax axis all "
      "show here too): queries come from query, keys and values from key_value (k_proj(key_value), "
      "v_proj(key_value)), and the scores are [B, n_heads, q_len, kv_len].");
  expect_outputs_match(Kind::cross, torch::kFloat64, no_masks);
}

TEST(BuggyAttention, AttentionMask) {
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

TEST(BuggyAttention, KeyPaddingMask) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN: a padded key is hidden from every query, so its column of the scores is all -inf and a "
                     "softmax over the queries (dim -2) divides 0 by 0 there; the softmax runs over the keys "
                     "(dim -1). Or the mask is inverted: key_padding_mask true means padding.");
  kata_test::meaning(
      "With key_padding_mask [batch, kv_len] the output differs: a padded key j of batch element b is hidden "
      "from every query of b, in every head (scores.masked_fill(mask.view({B, 1, 1, kv_len}), -inf)); the "
      "mask says which keys are padding, not which queries.");
  expect_outputs_match(Kind::self, torch::kFloat64, padding_only);
  expect_outputs_match(Kind::cross, torch::kFloat64, padding_only);
}

TEST(BuggyAttention, BothMasks) {
  kata_test::meaning(
      "With attn_mask and key_padding_mask together the output differs: a key is allowed only when both "
      "allow it (attn_mask true and not padding); apply both before one softmax.");
  expect_outputs_match(Kind::self, torch::kFloat64, both_masks);
  expect_outputs_match(Kind::cross, torch::kFloat64, both_masks);
}

TEST(BuggyAttention, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build masks and constants from "
                     "the inputs (query.options()) instead of the default dtype or double tensors.");
  kata_test::meaning("The float32 output differs from the reference's in float32.");
  expect_outputs_match(Kind::self, torch::kFloat32, both_masks);
  expect_outputs_match(Kind::cross, torch::kFloat32, both_masks);
}

TEST(BuggyAttention, PaddedKeysChangeNothing) {
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

TEST(BuggyAttention, Gradients) {
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

TEST(BuggyAttention, EdgeShapes) {
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

TEST(BuggyAttention, NonContiguousInputs) {
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

TEST(BuggyAttention, InputsUnchanged) {
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

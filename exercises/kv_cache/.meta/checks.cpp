// Hidden tests for kv_cache: the learner's kata::CachedAttention, loaded with the reference's weights by
// parameter name, decodes sequences chunk by chunk (prefill, then one or several tokens at a time, starting
// over and rewinding), and every chunk's output is compared with the reference's full-sequence forward at
// those positions.
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kv_cache.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t d_model, n_heads;
};
// Head sizes 4, 4, 3, 2, 1.
const std::vector<Config> kConfigs = {{8, 2}, {12, 3}, {6, 1}, {8, 4}, {6, 6}};

std::string describe_config(const Config& c) {
  return fmt::format("CachedAttention(d_model={}, n_heads={})", c.d_model, c.n_heads);
}

struct Pair {
  kata::CachedAttention learner{nullptr};
  reference::kata::CachedAttention reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype) {
  Pair m{kata::CachedAttention(c.d_model, c.n_heads), reference::kata::CachedAttention(c.d_model, c.n_heads)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference weights into your module:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_x(const Config& c, int64_t batch, int64_t seq, torch::ScalarType dtype = torch::kFloat64) {
  return torch::randn({batch, seq, c.d_model}, torch::TensorOptions().dtype(dtype));
}

// The calls of one decoding run: forward(x[:, start : start + length], start) for each chunk in turn.
struct Chunk {
  int64_t start, length;
};
std::vector<Chunk> chunks_of(const std::vector<int64_t>& lengths) {
  std::vector<Chunk> chunks;
  int64_t start = 0;
  for (int64_t length : lengths) {
    chunks.push_back({start, length});
    start += length;
  }
  return chunks;
}
std::string describe_calls(const std::vector<Chunk>& chunks) {
  std::vector<std::string> calls;
  for (const auto& ch : chunks) calls.push_back(fmt::format("forward(x[:, {}:{}], {})", ch.start, ch.start + ch.length, ch.start));
  return fmt::format("{}", fmt::join(calls, ", "));
}

// Runs the learner's module through `chunks` of x (each call's input made by `view`, the identity by default) and
// compares every call's output with the reference's full-sequence forward of x at those positions.
std::optional<std::string> decode_diff(Pair& m, const Config& c, const torch::Tensor& x, const std::vector<Chunk>& chunks,
                                       const std::function<torch::Tensor(const torch::Tensor&)>& view = {}) {
  if (m.load_error) return load_failure(m, c);
  auto full = m.reference->forward(x, 0);
  const std::string what_case =
      fmt::format("{}, {}, calls {}", describe_config(c), kata_test::describe({{"x", x}}), describe_calls(chunks));
  for (const auto& ch : chunks) {
    auto part = x.index({Slice(), Slice(ch.start, ch.start + ch.length)});
    auto got = m.learner->forward(view ? view(part) : part, ch.start);
    auto want = full.index({Slice(), Slice(ch.start, ch.start + ch.length)});
    if (auto e = diff(got, want,
                      fmt::format("output of forward(x[:, {}:{}], start_pos={})", ch.start, ch.start + ch.length, ch.start),
                      what_case))
      return e;
  }
  return std::nullopt;
}

void expect_decoding_matches(const std::vector<int64_t>& lengths, torch::ScalarType dtype = torch::kFloat64) {
  for (const auto& c : kConfigs) {
    for (int64_t batch : {1, 3}) {
      auto m = make_pair(c, dtype);
      int64_t seq = 0;
      for (int64_t l : lengths) seq += l;
      KATA_ASSERT_OK(decode_diff(m, c, random_x(c, batch, seq, dtype), chunks_of(lengths)));
    }
  }
}

TEST(KvCache, ParametersMatchContract) {
  kata_test::meaning(
      "Your module's parameters differ from the contract: register q_proj, k_proj, v_proj and o_proj with "
      "register_module under exactly these names, each a Linear d_model -> d_model with bias; keep the cache "
      "in the plain tensors k_cache and v_cache (register_buffer or register_parameter would make it part of "
      "the module's state).");
  for (const auto& c : {Config{12, 3}, Config{8, 8}}) {
    kata::CachedAttention learner(c.d_model, c.n_heads);
    reference::kata::CachedAttention reference(c.d_model, c.n_heads);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
  }
}

TEST(KvCache, Prefill) {
  kata_test::meaning(
      "forward(x, 0) on a whole prompt differs from causal self-attention: check the head split "
      "(reshape to [B, T, n_heads, head_size], transpose(1, 2)), the scale 1/sqrt(head_size), the causal "
      "mask (query i sees keys j <= i), the softmax over the keys and the merge (transpose back before the "
      "reshape), then o_proj.");
  expect_decoding_matches({6});
}

TEST(KvCache, DecodeOneTokenAtATime) {
  kata_test::meaning(
      "After a prefill, decoding one token at a time differs from the full forward: each new token's keys and "
      "values must be appended to the cache (torch::cat along the positions), and the token at position p "
      "attends to every cached position 0 .. p, itself included.");
  expect_decoding_matches({4, 1, 1, 1});
}

TEST(KvCache, DecodeSeveralTokens) {
  kata_test::meaning(
      "Decoding several tokens per call after a prefill differs from the full forward: the new tokens see "
      "the whole cache and each other causally, so the mask is [T_new, start_pos + T_new] with the diagonal "
      "offset by start_pos (triu(start_pos + 1)), not a square [T_new, T_new] mask or none.");
  expect_decoding_matches({3, 2, 1, 3});
}

TEST(KvCache, StartOverAtZero) {
  kata_test::meaning(
      "forward(x, 0) after an earlier sequence must start a new one: the old cache is dropped (positions at "
      "and after start_pos are replaced), otherwise the new tokens attend to the previous sequence.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto first = random_x(c, 2, 5);
    m.learner->forward(first.index({Slice(), Slice(0, 3)}), 0);
    m.learner->forward(first.index({Slice(), Slice(3, 5)}), 3);
    KATA_ASSERT_OK(decode_diff(m, c, random_x(c, 2, 6), chunks_of({4, 2})));
  }
}

TEST(KvCache, Rewind) {
  kata_test::meaning(
      "A call with start_pos smaller than the cached length (rewinding, as when speculative decoding rejects "
      "tokens) must drop the cached positions from start_pos on and write the new tokens there: keep "
      "cache[:, :, :start_pos] before appending.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto draft = random_x(c, 2, 7);
    m.learner->forward(draft.index({Slice(), Slice(0, 5)}), 0);
    m.learner->forward(draft.index({Slice(), Slice(5, 7)}), 5);
    // Positions 0 .. 2 stay; 3 .. 5 are rewritten with other tokens.
    auto x = torch::cat({draft.index({Slice(), Slice(0, 3)}), random_x(c, 2, 3)}, /*dim=*/1);
    auto full = m.reference->forward(x, 0);
    KATA_ASSERT_OK(diff(m.learner->forward(x.index({Slice(), Slice(3, 6)}), 3), full.index({Slice(), Slice(3, 6)}),
                        "output of forward(x[:, 3:6], start_pos=3) after 7 positions were cached",
                        fmt::format("{}, {}, calls forward(draft[:, 0:5], 0), forward(draft[:, 5:7], 5), "
                                    "forward(x[:, 3:6], 3)",
                                    describe_config(c), kata_test::describe({{"x", x}}))));
  }
}

TEST(KvCache, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in (and a float32 module) must give float32 out: build the mask from x.options(), "
                     "and keep the cache in the dtype of the keys.");
  kata_test::meaning("Decoding in float32 differs from the reference's float32 full forward.");
  expect_decoding_matches({3, 1, 2}, torch::kFloat32);
}

TEST(KvCache, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach x and every parameter through this call's own tokens: attend over "
                     "cat(cached keys, this call's keys), not over the cache after this call's keys were detached "
                     "into it.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The output matches but a gradient does not: the cache must hold detached keys and values "
                     "(k_cache = k.detach()). Kept with their graph, a call's backward also reaches earlier calls' "
                     "tokens, and every cached step keeps its whole graph alive in memory.");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      auto prompt = random_x(c, 2, 4, dtype);
      for (int64_t start_pos : {0, 4}) {
        auto x = random_x(c, 2, start_pos == 0 ? 4 : 2, dtype);
        auto weight = torch::randn_like(x);
        const auto parameters = m.reference->named_parameters().keys();
        auto run = [&](auto& module) {
          return kata_test::run_backward(
              [&](const std::vector<torch::Tensor>& in) {
                if (start_pos > 0) module->forward(prompt, 0);
                return module->forward(in[0], start_pos);
              },
              {x}, weight, kata_test::parameters_named(*module, parameters));
        };
        auto want = run(m.reference);
        std::vector<std::string> names = {"x"};
        names.insert(names.end(), parameters.begin(), parameters.end());
        KATA_ASSERT_OK(kata_test::backward_diff(
            run(m.learner), want, names,
            fmt::format("{}, {}, {}", describe_config(c), kata_test::describe({{"x", x}}),
                        start_pos == 0 ? "forward(x, 0)" : "forward(prompt [2, 4], 0), then forward(x, 4)")));
      }
    }
  }
}

TEST(KvCache, EdgeShapes) {
  kata_test::meaning(
      "A one-token prompt, a batch of one, one head or as many heads as channels breaks a solution that "
      "squeezes dimensions, hard-codes sizes or treats the first call specially.");
  for (const auto& c : {Config{8, 2}, Config{4, 1}, Config{4, 4}}) {
    for (int64_t batch : {1, 2}) {
      auto m = make_pair(c, torch::kFloat64);
      KATA_ASSERT_OK(decode_diff(m, c, random_x(c, batch, 4), chunks_of({1, 1, 2})));
    }
  }
}

TEST(KvCache, NonContiguousInput) {
  kata_test::meaning(
      "Decoding inputs that are views (transposed storage, or sliced from a wider tensor) gives different "
      "results: .view() on a non-contiguous tensor or raw data_ptr indexing assumes a memory layout; use "
      "reshape.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    KATA_ASSERT_OK(decode_diff(m, c, random_x(c, 2, 6), chunks_of({3, 1, 2}), kata_test::non_contiguous));
    auto wider = [&](const torch::Tensor& t) {
      return torch::cat({t, t}, /*dim=*/-1).narrow(/*dim=*/-1, c.d_model, c.d_model);
    };
    KATA_ASSERT_OK(decode_diff(m, c, random_x(c, 2, 6), chunks_of({3, 1, 2}), wider));
  }
}

TEST(KvCache, InputUnchanged) {
  kata_test::meaning(
      "forward wrote into x (an in-place op such as x.mul_): callers reuse x, so it must be left as it was.");
  const Config c{8, 2};
  kata::CachedAttention module(c.d_model, c.n_heads);
  module->to(torch::kFloat64);
  auto x = random_x(c, 2, 5);
  auto before = x.clone();
  module->forward(x.index({Slice(), Slice(0, 3)}), 0);
  module->forward(x.index({Slice(), Slice(3, 5)}), 3);
  KATA_ASSERT_OK(diff(x, before, "x after decoding it in two calls",
                      describe_config(c) + ", " + kata_test::describe({{"x", before}}), kata_test::Tolerance{0, 0}));
}

}  // namespace

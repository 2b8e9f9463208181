// Hidden tests for gpt: the learner's kata::GPT, loaded with the reference's weights by parameter name, against
// reference::kata::GPT: logits, loss and every parameter's gradient, greedy generation past the block size, and
// what a causal language model promises (no position sees a later token).
#include "kata_test.h"

#include <fmt/format.h>

#include "gpt.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Config {
  int64_t vocab_size, block_size, n_layer, n_head, n_embd;
};
// Head sizes 4, 3, 8, 1; one to three layers.
const std::vector<Config> kConfigs = {{11, 8, 2, 2, 8}, {7, 6, 1, 4, 12}, {13, 5, 3, 1, 8}, {5, 8, 1, 6, 6}};

std::string describe_config(const Config& c) {
  return fmt::format("GPT(vocab_size={}, block_size={}, n_layer={}, n_head={}, n_embd={})", c.vocab_size,
                     c.block_size, c.n_layer, c.n_head, c.n_embd);
}
std::string describe_case(const Config& c, const torch::Tensor& idx) {
  return describe_config(c) + ", " + kata_test::describe({{"idx", idx}});
}

// A learner model and a reference model of one config and dtype with identical weights. The LayerNorms are
// randomised too (so a missing or misplaced one shows), and the embeddings scaled down as GPT-2 initialises them
// (std 0.02 would hide the residual stream behind the blocks; 0.5 keeps both visible).
struct Pair {
  kata::GPT learner{nullptr};
  reference::kata::GPT reference{nullptr};
  std::optional<std::string> load_error;  // set when the learner's parameters do not match the contract
};
Pair make_pair(const Config& c, torch::ScalarType dtype) {
  Pair m{kata::GPT(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd),
         reference::kata::GPT(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd)};
  m.reference->to(dtype);
  m.learner->to(dtype);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : m.reference->named_parameters()) {
      const auto& name = p.key();
      if (name.find(".ln") != std::string::npos || name.rfind("ln_f", 0) == 0) {
        const double center = name.find("weight") != std::string::npos ? 1.0 : 0.0;
        p.value().copy_(torch::randn_like(p.value()) * 0.3 + center);
      } else if (name.rfind("wte", 0) == 0 || name.rfind("wpe", 0) == 0) {
        p.value().mul_(0.5);
      }
    }
  }
  m.load_error = kata_test::contract_mismatch(*m.learner, *m.reference);
  if (!m.load_error) kata_test::copy_parameters(*m.reference, *m.learner);
  return m;
}

std::string load_failure(const Pair& m, const Config& c) {
  return fmt::format("cannot load the reference weights into your model:\n  {}\ncase: {}", *m.load_error,
                     describe_config(c));
}

torch::Tensor random_idx(const Config& c, int64_t batch, int64_t len) {
  return torch::randint(c.vocab_size, {batch, len}, torch::kLong);
}

std::optional<std::string> logits_diff(Pair& m, const Config& c, const torch::Tensor& idx) {
  if (m.load_error) return load_failure(m, c);
  auto want = m.reference->forward(idx);
  return diff(m.learner->forward(idx), want, "logits", describe_case(c, idx));
}

void expect_logits_match(torch::ScalarType dtype) {
  for (const auto& c : kConfigs) {
    for (int64_t len : {c.block_size, c.block_size - 2}) {
      auto m = make_pair(c, dtype);
      KATA_ASSERT_OK(logits_diff(m, c, random_idx(c, 2, len)));
    }
  }
}

TEST(GPT, ParametersMatchContract) {
  kata_test::meaning(
      "Your model's parameters differ from the contract: wte [vocab_size, n_embd], wpe [block_size, n_embd], "
      "blocks (a ModuleList of n_layer blocks, each with ln1, q_proj, k_proj, v_proj, o_proj, ln2, fc1, fc2, "
      "every Linear with bias) and ln_f, registered under exactly these names. The head is tied: there is no "
      "lm_head parameter, the logits are ln_f(x) multiplied by wte->weight transposed "
      "(torch::nn::functional::linear(x, wte->weight)).");
  for (const auto& c : {kConfigs[0], kConfigs[2]}) {
    kata::GPT learner(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd);
    reference::kata::GPT reference(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd);
    if (auto e = kata_test::contract_mismatch(*learner, *reference)) FAIL() << *e << "\ncase: " << describe_config(c);
  }
}

TEST(GPT, LogitsFloat64) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "The logits are [B, T, vocab_size]: the tied head multiplies ln_f(x) [B, T, n_embd] by "
                     "wte->weight transposed [n_embd, vocab_size].");
  kata_test::meaning(
      "The logits differ: x = wte(idx) + wpe(arange(T)) (no scaling of the embeddings), then each block "
      "pre-LN (x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x))))) with a causal mask and scale 1/sqrt(head "
      "size), then ln_f, then the tied head with wte->weight.");
  expect_logits_match(torch::kFloat64);
}

TEST(GPT, LogitsFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "A float32 model must give float32 logits: build masks and constants from the activations' "
                     "options, not as double tensors.");
  kata_test::meaning("The float32 logits differ from the reference's in float32.");
  expect_logits_match(torch::kFloat32);
}

TEST(GPT, Loss) {
  kata_test::meaning(
      "The loss differs: it is the mean cross-entropy over all B * T positions, logits flattened to "
      "[B * T, vocab_size] and targets to [B * T] (cross_entropy on [B, T, V] would read T as the classes).");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto idx = random_idx(c, 3, c.block_size), targets = random_idx(c, 3, c.block_size);
    auto want = m.reference->loss(idx, targets);
    KATA_ASSERT_OK(diff(m.learner->loss(idx, targets), want, "loss",
                        describe_case(c, idx) + ", " + kata_test::describe({{"targets", targets}})));
  }
}

TEST(GPT, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Every parameter must get a gradient from the loss: each registered module used in forward, "
                     "through differentiable ops (no .detach(), .data(), NoGradGuard).");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The loss matches but a gradient does not: wte's gradient collects both its uses, the "
                     "token embedding and the tied head; look for a head that uses a copy of the weight, or an "
                     "in-place write autograd needed.");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kConfigs) {
      auto m = make_pair(c, dtype);
      if (m.load_error) FAIL() << load_failure(m, c);
      auto idx = random_idx(c, 2, c.block_size), targets = random_idx(c, 2, c.block_size);
      auto weight = torch::ones({}, torch::TensorOptions().dtype(dtype));
      const auto parameters = m.reference->named_parameters().keys();
      auto run = [&](auto& model) {
        return kata_test::run_backward([&](const std::vector<torch::Tensor>&) { return model->loss(idx, targets); }, {},
                                       weight, kata_test::parameters_named(*model, parameters));
      };
      auto want = run(m.reference);
      KATA_ASSERT_OK(kata_test::backward_diff(run(m.learner), want, parameters, describe_case(c, idx)));
    }
  }
}

TEST(GPT, NoFutureLeakage) {
  kata_test::meaning(
      "Changing the tokens after position t changed the logits at t: the causal mask is missing, inverted or "
      "on the wrong axis in some block.");
  for (const auto& c : kConfigs) {
    kata::GPT model(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd);
    model->to(torch::kFloat64);
    auto idx = random_idx(c, 2, c.block_size);
    auto before = model->forward(idx);
    if (before.dim() != 3 || before.size(1) != c.block_size)
      FAIL() << "logits have shape " << kata_test::shape_of(before) << "\ncase: " << describe_case(c, idx);
    for (int64_t t : {int64_t{0}, c.block_size / 2, c.block_size - 2}) {
      auto changed = idx.clone();
      auto after_t = Slice(t + 1, torch::indexing::None);
      changed.index_put_({Slice(), after_t}, (idx.index({Slice(), after_t}) + 1).remainder(c.vocab_size));
      KATA_ASSERT_OK(diff(model->forward(changed).index({Slice(), Slice(0, t + 1)}), before.index({Slice(), Slice(0, t + 1)}),
                          fmt::format("logits at positions <= {} after changing the tokens after {}", t, t),
                          describe_case(c, idx)));
    }
  }
}

TEST(GPT, GenerateGreedy) {
  kata_test::meaning(
      "Greedy generation differs: each step runs the model on the tokens so far (the last block_size of them "
      "once the sequence is longer), takes the argmax over the vocabulary of the LAST position's logits, and "
      "appends it.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto idx = random_idx(c, 3, 2);
    const int64_t new_tokens = c.block_size - 3;  // stays within the block size
    auto want = m.reference->generate(idx, new_tokens);
    KATA_ASSERT_OK(diff(m.learner->generate(idx, new_tokens), want,
                        fmt::format("generate(idx, {})", new_tokens), describe_case(c, idx)));
  }
}

TEST(GPT, GeneratePastBlockSize) {
  kata_test::meaning(
      "Generating past block_size tokens differs: wpe has only block_size positions, so each step must crop "
      "the context to its last block_size tokens (positions 0 .. block_size-1 again), as nanoGPT's "
      "idx[:, -block_size:] does.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    if (m.load_error) FAIL() << load_failure(m, c);
    auto idx = random_idx(c, 2, c.block_size - 1);
    const int64_t new_tokens = c.block_size + 3;
    auto want = m.reference->generate(idx, new_tokens);
    KATA_ASSERT_OK(diff(m.learner->generate(idx, new_tokens), want,
                        fmt::format("generate(idx, {}) (ending {} tokens past block_size {})", new_tokens,
                                    idx.size(1) + new_tokens - c.block_size, c.block_size),
                        describe_case(c, idx)));
  }
}

TEST(GPT, EdgeShapes) {
  kata_test::meaning(
      "One token, a batch of one, or generating from a one-token prompt breaks a solution that squeezes "
      "dimensions or hard-codes sizes.");
  for (const auto& c : {kConfigs[0], kConfigs[3]}) {
    auto m = make_pair(c, torch::kFloat64);
    for (const auto& shape : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1}, {1, c.block_size}})
      KATA_ASSERT_OK(logits_diff(m, c, random_idx(c, shape.first, shape.second)));
    if (m.load_error) FAIL() << load_failure(m, c);
    auto idx = random_idx(c, 1, 1);
    auto want = m.reference->generate(idx, 3);
    KATA_ASSERT_OK(diff(m.learner->generate(idx, 3), want, "generate(idx, 3)", describe_case(c, idx)));
  }
}

TEST(GPT, NonContiguousIdx) {
  kata_test::meaning(
      "Token ids that are a view (a column slice of a wider batch) give different results: index them with "
      "the embedding as they are, or reshape, but do not assume a memory layout.");
  for (const auto& c : kConfigs) {
    auto m = make_pair(c, torch::kFloat64);
    auto wide = random_idx(c, 2, 2 * c.block_size);
    auto idx = wide.index({Slice(), Slice(0, torch::indexing::None, 2)});  // every other column: a strided view
    KATA_ASSERT_OK(logits_diff(m, c, idx));
  }
}

TEST(GPT, InputsUnchanged) {
  kata_test::meaning(
      "forward, loss or generate wrote into idx or targets: generate returns a new tensor and leaves the prompt "
      "as it was.");
  const Config c = kConfigs[0];
  kata::GPT model(c.vocab_size, c.block_size, c.n_layer, c.n_head, c.n_embd);
  model->to(torch::kFloat64);
  auto idx = random_idx(c, 2, 4), targets = random_idx(c, 2, 4);
  auto idx_before = idx.clone(), targets_before = targets.clone();
  model->forward(idx);
  model->loss(idx, targets);
  model->generate(idx, 3);
  KATA_ASSERT_OK(diff(idx, idx_before, "idx after forward, loss and generate", describe_case(c, idx_before),
                      kata_test::Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(targets, targets_before, "targets after loss", describe_case(c, idx_before),
                      kata_test::Tolerance{0, 0}));
}

}  // namespace

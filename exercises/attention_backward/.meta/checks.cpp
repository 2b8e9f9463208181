// Hidden tests for attention_backward: the learner's dq, dk, dv against the reference and against autograd's
// gradients of the plain forward (computed here, on the trusted side), plus what any correct attention
// backward satisfies: no gradient reaches a key from the queries that cannot see it, keys shifted together
// change nothing, and large scores stay finite.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "attention_backward.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Shape {
  int64_t batch, heads, seq, head_dim;
};
// heads >= 2 and seq >= 3 (a causal mask hides something in all rows but the last), and seq != head_dim so
// that a scale taken from the wrong dimension shows. A swapped transpose keeps the shape ([seq, seq] or
// [seq, head_dim]) and only changes values, which random inputs and a random grad_out show on every seed.
const std::vector<Shape> kShapes = {{2, 3, 5, 8}, {1, 2, 7, 4}, {2, 2, 6, 3}};

// q, k, v, grad_out, all [batch, heads, seq, head_dim].
using Inputs = std::vector<torch::Tensor>;
const std::vector<std::string> kNames = {"q", "k", "v", "grad_out"};

Inputs random_inputs(const Shape& s, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  Inputs in;
  for (int i = 0; i < 4; ++i) in.push_back(torch::randn({s.batch, s.heads, s.seq, s.head_dim}, opts));
  return in;
}

// "causal true, q [2, 3, 5, 8] float64, k [...], v [...], grad_out [...], seed 7"
std::string describe_case(const Inputs& in, bool causal) {
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (size_t i = 0; i < in.size(); ++i) named.push_back({kNames[i], in[i]});
  return fmt::format("causal {}, {}", causal, kata_test::describe(named));
}

kata::AttentionGrads learner(const Inputs& in, bool causal) {
  return kata::attention_backward(in[0], in[1], in[2], causal, in[3]);
}
reference::kata::AttentionGrads expected(const Inputs& in, bool causal) {
  return reference::kata::attention_backward(in[0], in[1], in[2], causal, in[3]);
}

// dq, dk, dv against `want`, in that order; `what` follows each name ("dq against autograd").
std::optional<std::string> grads_diff(const kata::AttentionGrads& got, const std::vector<torch::Tensor>& want,
                                      const std::string& case_desc, const std::string& what = "",
                                      std::optional<kata_test::Tolerance> tol = {}) {
  const torch::Tensor* mine[] = {&got.dq, &got.dk, &got.dv};
  const char* names[] = {"dq", "dk", "dv"};
  for (int i = 0; i < 3; ++i)
    if (auto e = diff(*mine[i], want[i], names[i] + what, case_desc, tol)) return e;
  return std::nullopt;
}

// The learner's gradients on `inputs` against the reference's on `values` (the same values).
std::optional<std::string> reference_diff(const Inputs& inputs, const Inputs& values, bool causal,
                                          std::optional<kata_test::Tolerance> tol = {}, const std::string& what = "") {
  auto want = expected(values, causal);
  return grads_diff(learner(inputs, causal), {want.dq, want.dk, want.dv}, describe_case(inputs, causal), what, tol);
}

// diff's shape and dtype part only, for the property checks, which compute with the gradients.
std::optional<std::string> layout_diff(const kata::AttentionGrads& got, const Inputs& in, bool causal) {
  const torch::Tensor* mine[] = {&got.dq, &got.dk, &got.dv};
  const char* names[] = {"dq", "dk", "dv"};
  for (int i = 0; i < 3; ++i) {
    const auto& t = *mine[i];
    if (!t.defined() || t.sizes() != in[i].sizes() || t.scalar_type() != in[i].scalar_type())
      return diff(t, in[i], names[i], describe_case(in, causal));
  }
  return std::nullopt;
}

// The plain forward, differentiated by autograd: the ground truth the reference is checked against too.
std::vector<torch::Tensor> autograd_grads(const Inputs& in, bool causal) {
  auto q = in[0].detach().clone().requires_grad_(true);
  auto k = in[1].detach().clone().requires_grad_(true);
  auto v = in[2].detach().clone().requires_grad_(true);
  const int64_t T = q.size(2);
  auto scores = torch::matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal) {
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  }
  auto out = torch::matmul(torch::softmax(scores, 3), v);
  return torch::autograd::grad({out}, {q, k, v}, {in[3]});
}

TEST(AttentionBackward, GradsFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Keep the inputs' dtype throughout: a softmax recomputed in float32, or a constant made in "
                     "float32, rounds a float64 run.");
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN where the expected values are finite: 0 * inf from a mask filled in after the softmax, "
                     "or -inf - (-inf) in a softmax by hand over a fully masked row.");
  kata_test::meaning(
      "dq, dk or dv differs. Check, in this order: P recomputed exactly as the forward ran it (scale "
      "1/sqrt(head_dim), the mask j > i only when causal, softmax over the keys); which factor is "
      "transposed in dv, dP, dq and dk (each gradient has its input's shape, and a [seq, seq] factor fits "
      "either way round); the softmax backward's sum term, taken over the keys; the scale in both dq and dk.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat64);
      KATA_ASSERT_OK(reference_diff(in, in, causal));
    }
  }
}

TEST(AttentionBackward, GradsFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in gives float32 out: build masks, constants and buffers from the inputs "
                     "(q.options()) instead of the default dtype or double tensors.");
  kata_test::meaning(
      "The float32 gradients differ: the same things as in float64 (the recomputed P, the transposes, the "
      "sum term, the scale), or precision lost somewhere.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat32);
      KATA_ASSERT_OK(reference_diff(in, in, causal));
    }
  }
}

TEST(AttentionBackward, MatchesAutograd) {
  kata_test::meaning(
      "Yours differs from what autograd computes for the plain forward softmax(q k^T / sqrt(head_dim) + "
      "mask) v, differentiated with grad_out as the upstream gradient.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat64);
      KATA_ASSERT_OK(
          grads_diff(learner(in, causal), autograd_grads(in, causal), describe_case(in, causal), " against autograd"));
    }
  }
}

TEST(AttentionBackward, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence (P is then 1, so dq and dk are 0 and dv is grad_out), head_dim 1, one head or a "
      "batch of one breaks a solution that squeezes dimensions, hard-codes sizes or builds the mask from "
      "the wrong dimension.");
  for (const auto& shape : std::vector<Shape>{{1, 1, 1, 1}, {1, 2, 1, 4}, {2, 2, 5, 1}, {1, 1, 4, 3}, {3, 2, 1, 1}}) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat64);
      KATA_ASSERT_OK(reference_diff(in, in, causal));
    }
  }
}

TEST(AttentionBackward, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views give different results: .view() on a non-contiguous tensor, or indexing raw "
      "data_ptr, assumes a memory layout; use reshape, transpose and matmul.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat64);
      Inputs views;
      for (const auto& t : in) views.push_back(kata_test::non_contiguous(t));
      KATA_ASSERT_OK(reference_diff(views, in, causal));
      // q, k and v sliced out of one fused projection [batch, seq, 3 heads, head_dim], grad_out transposed.
      auto fused =
          torch::randn({shape.batch, shape.seq, 3 * shape.heads, shape.head_dim}, torch::kFloat64).transpose(1, 2);
      Inputs sliced = {
          fused.narrow(1, 0, shape.heads), fused.narrow(1, shape.heads, shape.heads),
          fused.narrow(1, 2 * shape.heads, shape.heads),
          torch::randn({shape.batch, shape.seq, shape.heads, shape.head_dim}, torch::kFloat64).transpose(1, 2)};
      Inputs copies;
      for (const auto& t : sliced) copies.push_back(t.contiguous());
      KATA_ASSERT_OK(reference_diff(sliced, copies, causal));
    }
  }
}

TEST(AttentionBackward, FutureKeysGetNoGradient) {
  kata_test::meaning(
      "With causal true, key and value j are seen only by queries i >= j, so with grad_out zero from "
      "position t on, nothing may reach dq, dk or dv at positions >= t. Yours gives them gradient: the "
      "recomputed P is not masked (or masked with 0 instead of -inf, which still gives the future weight), "
      "or a [seq, seq] factor is used the wrong way round (P grad_out instead of P^T grad_out, v grad_out^T "
      "instead of grad_out v^T), which routes the gradient of earlier queries to later positions.");
  for (const auto& shape : kShapes) {
    for (int64_t t : {int64_t{1}, shape.seq / 2}) {
      auto in = random_inputs(shape, torch::kFloat64);
      in[3].index_put_({"...", Slice(t, torch::indexing::None), Slice()}, 0.0);
      auto got = learner(in, true);
      KATA_ASSERT_OK(layout_diff(got, in, true));
      const torch::Tensor* mine[] = {&got.dq, &got.dk, &got.dv};
      const char* names[] = {"dq", "dk", "dv"};
      for (int i = 0; i < 3; ++i) {
        auto from_t = mine[i]->index({"...", Slice(t, torch::indexing::None), Slice()});
        KATA_ASSERT_OK(diff(from_t, torch::zeros_like(from_t),
                            fmt::format("{} at positions >= {} when grad_out is 0 from position {} on", names[i], t, t),
                            describe_case(in, true)));
      }
    }
  }
}

TEST(AttentionBackward, PastIsUnchangedByTheFuture) {
  kata_test::meaning(
      "With causal true, query i sees only keys and values j <= i, so dq at positions <= t may not depend "
      "on q, k, v or grad_out at positions > t. Yours does: the mask is missing from the recomputed P or "
      "built on the wrong axis, or dq sums over the wrong index of dS (dS^T k instead of dS k).");
  for (const auto& shape : kShapes) {
    auto in = random_inputs(shape, torch::kFloat64);
    auto before = learner(in, true);
    KATA_ASSERT_OK(layout_diff(before, in, true));
    for (int64_t t : {int64_t{0}, shape.seq / 2, shape.seq - 2}) {
      auto perturbed = in;
      auto after_t = Slice(t + 1, torch::indexing::None);
      for (auto& x : perturbed) {
        x = x.clone();
        x.index_put_({"...", after_t, Slice()}, torch::randn_like(x.index({"...", after_t, Slice()})) * 3);
      }
      auto up_to_t = Slice(0, t + 1);
      KATA_ASSERT_OK(diff(learner(perturbed, true).dq.index({"...", up_to_t, Slice()}),
                          before.dq.index({"...", up_to_t, Slice()}),
                          fmt::format("dq at positions <= {} after changing q, k, v, grad_out at positions > {}", t, t),
                          describe_case(in, true)));
    }
  }
}

TEST(AttentionBackward, KeysShiftedTogetherChangeNothing) {
  kata_test::meaning(
      "Adding one vector c to every key adds q_i . c to the whole row i of scores, which the softmax "
      "ignores, so the sum of dk over the positions must be zero. Yours is not: the softmax backward is "
      "missing its sum term (dS = P * dP), sums over the wrong dimension, or dk is not dS^T q.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto in = random_inputs(shape, torch::kFloat64);
      auto got = learner(in, causal);
      KATA_ASSERT_OK(layout_diff(got, in, causal));
      auto total = got.dk.sum(/*dim=*/2);
      KATA_ASSERT_OK(diff(total, torch::zeros_like(total), "dk summed over the positions", describe_case(in, causal)));
    }
  }
}

TEST(AttentionBackward, LargeScoresStayFinite) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "With large scores exp() overflows to inf and the gradients turn NaN: subtract each row's "
                     "maximum before exponentiating (torch::softmax does this for you).");
  kata_test::meaning("With large scores the gradients differ: the recomputed softmax loses accuracy or overflows.");
  // float64's exp() overflows above ~709, float32's above ~88. The looser tolerances absorb the rounding of
  // scores in the thousands (float64) and hundreds (float32); an overflow gives inf or NaN, which no
  // tolerance accepts.
  struct Case {
    torch::ScalarType dtype;
    double scale;
    kata_test::Tolerance tol;
  };
  for (const auto& c : {Case{torch::kFloat64, 25.0, {1e-6, 1e-6}}, Case{torch::kFloat32, 8.0, {1e-3, 1e-3}}}) {
    for (bool causal : {false, true}) {
      auto in = random_inputs({2, 2, 6, 4}, c.dtype);
      in[0] = in[0] * c.scale;
      in[1] = in[1] * c.scale;
      auto max_score = (torch::matmul(in[0], in[1].transpose(-2, -1)) / 2).abs().max();
      KATA_ASSERT_OK(
          reference_diff(in, in, causal, c.tol, fmt::format(" with scores up to {:.0f}", max_score.item<double>())));
    }
  }
}

TEST(AttentionBackward, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into its inputs (an in-place op such as grad_out.mul_ or q.transpose_): callers "
      "reuse q, k, v and grad_out, so they must be left as they were.");
  for (bool causal : {false, true}) {
    auto in = random_inputs({2, 2, 5, 4}, torch::kFloat64);
    Inputs copies;
    for (const auto& t : in) copies.push_back(t.clone());
    learner(in, causal);
    for (int i = 0; i < 4; ++i) {
      KATA_ASSERT_OK(diff(in[i], copies[i], kNames[i] + " after the call", describe_case(copies, causal),
                          kata_test::Tolerance{0, 0}));
    }
  }
}

}  // namespace

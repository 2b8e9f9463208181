// Hidden tests for grouped_query_attention: the learner's kata::gqa against the reference, plus what makes
// GQA what it is (the query heads of a group share one kv head, multi-head and multi-query attention as its
// two ends, no future leakage when causal).
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "grouped_query_attention.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Shape {
  int64_t batch, q_heads, kv_heads, seq, head_dim;
};
// Every shape has kv_heads >= 2 and a group (q_heads / kv_heads) >= 2, so tiling the kv heads (0 1 0 1) and
// repeating them in place (0 0 1 1) give different heads; seq differs from head_dim and from
// q_heads * head_dim, so each wrong scale shows.
const std::vector<Shape> kShapes = {{2, 4, 2, 5, 8}, {1, 6, 3, 7, 4}, {2, 8, 2, 6, 16}, {1, 6, 2, 9, 3}};

std::vector<torch::Tensor> random_qkv(const Shape& s, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  return {torch::randn({s.batch, s.q_heads, s.seq, s.head_dim}, opts),
          torch::randn({s.batch, s.kv_heads, s.seq, s.head_dim}, opts),
          torch::randn({s.batch, s.kv_heads, s.seq, s.head_dim}, opts)};
}

// "causal true, q [2, 4, 5, 8] float64, k [2, 2, 5, 8] float64, v [2, 2, 5, 8] float64, seed 7"
std::string describe_case(const std::vector<torch::Tensor>& qkv, bool causal) {
  return fmt::format("causal {}, {}", causal, kata_test::describe({{"q", qkv[0]}, {"k", qkv[1]}, {"v", qkv[2]}}));
}

torch::Tensor learner(const std::vector<torch::Tensor>& qkv, bool causal) {
  return kata::gqa(qkv[0], qkv[1], qkv[2], causal);
}
torch::Tensor expected(const std::vector<torch::Tensor>& qkv, bool causal) {
  return reference::kata::gqa(qkv[0], qkv[1], qkv[2], causal);
}

// The learner's output on `inputs` against the reference's on `qkv` (the same values), the reference first.
std::optional<std::string> output_diff(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& qkv,
                                       bool causal) {
  auto want = expected(qkv, causal);
  return diff(learner(inputs, causal), want, "output", describe_case(inputs, causal));
}

// diff's shape and dtype part only: the property checks compute with the output, which needs q's shape.
std::optional<std::string> layout_diff(const torch::Tensor& got, const torch::Tensor& q, const std::string& case_desc) {
  if (got.defined() && got.sizes() == q.sizes() && got.scalar_type() == q.scalar_type()) return std::nullopt;
  return diff(got, q, "output", case_desc);
}

// Ordinary attention, head by head (k and v have as many heads as q, or one that every head shares).
torch::Tensor plain_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t T = q.size(2);
  auto scores = torch::matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(q.size(3)));
  if (causal) {
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, 3), v);
}

TEST(GroupedQueryAttention, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Keep the inputs' dtype throughout: a softmax taken in float32 (llama's "
                     "softmax(scores.float())) or a constant made in float32 rounds a float64 run.");
  kata_test::explain(kata_test::Symptom::non_finite,
                     "NaN appears where a row of scores is all -inf (a mask that hides the diagonal too, so "
                     "query 0 has no key left) or where exp() overflows (a softmax by hand without "
                     "subtracting the row max).");
  kata_test::meaning(
      "The attention output differs: check which kv head each query head reads (h / (q_heads / kv_heads): "
      "0 0 1 1, not 0 1 0 1), the scale (1/sqrt(head_dim)), the mask (only when causal, j <= i kept) and "
      "the softmax dimension (over the keys, the last one).");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat64);
      KATA_ASSERT_OK(output_diff(qkv, qkv, causal));
    }
  }
}

TEST(GroupedQueryAttention, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in must give float32 out: build masks and constants from the inputs "
                     "(q.options()) instead of the default dtype or double tensors.");
  kata_test::meaning(
      "The float32 output differs: the same things as in float64 (head mapping, scale, mask, softmax "
      "dimension), or precision lost somewhere.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat32);
      KATA_ASSERT_OK(output_diff(qkv, qkv, causal));
    }
  }
}

TEST(GroupedQueryAttention, GradientsQKV) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Gradients must reach q, k and v: no .detach(), NoGradGuard or values copied out with "
                     ".item() or through raw pointers. A KV cache is stored detached, but here k and v are "
                     "inputs whose gradients the caller needs.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors "
                     "autograd saved, and for a part of the computation done outside autograd. The gradient "
                     "of a kv head is the sum over the query heads of its group.");
  kata_test::meaning("A gradient differs from autograd's through the reference.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& shape : kShapes) {
      for (bool causal : {false, true}) {
        auto qkv = random_qkv(shape, dtype);
        auto weight = torch::randn_like(qkv[0]);
        auto run = [causal](auto attend) {
          return [attend, causal](const std::vector<torch::Tensor>& in) { return attend(in[0], in[1], in[2], causal); };
        };
        KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(run(kata::gqa), qkv, weight),
                                                kata_test::run_backward(run(reference::kata::gqa), qkv, weight),
                                                {"q", "k", "v"}, describe_case(qkv, causal)));
      }
    }
  }
}

TEST(GroupedQueryAttention, GroupsShareTheirKvHead) {
  kata_test::meaning(
      "Query heads j*group .. j*group + group-1 must all read kv head j (h / group, LLaMA-2 / Mistral). "
      "Here, moving kv head j to another slot (and its group of query heads with it) did not just move "
      "that group's output: some query head reads a kv head outside its group. Tiling the kv heads with "
      ".repeat (head h reads kv head h % kv_heads) is the usual cause; repeat_interleave keeps them in place.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat64);
      const int64_t group = shape.q_heads / shape.kv_heads;
      // Slot j of the rotated inputs holds kv head j + 1 (mod kv_heads) and that head's group of query heads.
      auto kv_order = (torch::arange(shape.kv_heads, torch::kInt64) + 1).remainder(shape.kv_heads);
      auto q_order =
          (kv_order.repeat_interleave(group) * group) + torch::arange(group, torch::kInt64).repeat(shape.kv_heads);
      std::vector<torch::Tensor> rotated = {qkv[0].index_select(1, q_order), qkv[1].index_select(1, kv_order),
                                            qkv[2].index_select(1, kv_order)};
      auto out = learner(qkv, causal);
      KATA_ASSERT_OK(layout_diff(out, qkv[0], describe_case(qkv, causal)));
      KATA_ASSERT_OK(diff(learner(rotated, causal), out.index_select(1, q_order),
                          "output with the kv heads rotated by one slot, each group of query heads moved with its kv "
                          "head (compared with your output's groups moved the same way)",
                          describe_case(qkv, causal)));
    }
  }
}

TEST(GroupedQueryAttention, MultiHeadAndMultiQuery) {
  kata_test::meaning(
      "With kv_heads == q_heads, GQA is ordinary multi-head attention (head h reads kv head h); with "
      "kv_heads == 1 it is multi-query attention (every head reads kv head 0). Yours differs from plain "
      "attention there, where the head mapping cannot be wrong: look at the attention itself (scale "
      "1/sqrt(head_dim), softmax over the keys, the mask only when causal) or at a group size computed "
      "wrongly at the two ends.");
  for (const auto& shape : std::vector<Shape>{{2, 4, 4, 5, 8}, {1, 6, 6, 7, 3}, {2, 4, 1, 6, 8}, {1, 6, 1, 9, 4}}) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat64);
      auto want = plain_attention(qkv[0], qkv[1], qkv[2], causal);
      std::string what = shape.kv_heads == 1 ? "output (multi-query: every head reads kv head 0)"
                                             : "output (multi-head: head h reads kv head h)";
      KATA_ASSERT_OK(diff(learner(qkv, causal), want, what, describe_case(qkv, causal)));
    }
  }
}

TEST(GroupedQueryAttention, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence, head_dim 1, a batch of one, a single kv head (multi-query) or as many kv heads "
      "as query heads (multi-head) breaks a solution that squeezes dimensions, hard-codes sizes or builds "
      "the mask from the wrong dimension.");
  for (const auto& shape : std::vector<Shape>{
           {1, 1, 1, 1, 1}, {1, 4, 1, 1, 8}, {2, 3, 3, 6, 1}, {1, 4, 2, 1, 1}, {3, 2, 1, 4, 5}, {1, 8, 4, 3, 1}}) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat64);
      KATA_ASSERT_OK(output_diff(qkv, qkv, causal));
    }
  }
}

TEST(GroupedQueryAttention, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views give different results: .view() on a non-contiguous tensor or indexing raw "
      "data_ptr assumes a memory layout; use reshape, transpose, expand and matmul.");
  for (const auto& shape : kShapes) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv(shape, torch::kFloat64);
      std::vector<torch::Tensor> views;
      for (const auto& t : qkv) views.push_back(kata_test::non_contiguous(t));
      KATA_ASSERT_OK(output_diff(views, qkv, causal));
      // q, k and v sliced out of one fused projection [batch, seq, q_heads + 2 kv_heads, head_dim].
      auto fused =
          torch::randn({shape.batch, shape.seq, shape.q_heads + 2 * shape.kv_heads, shape.head_dim}, torch::kFloat64)
              .transpose(1, 2);
      std::vector<torch::Tensor> sliced = {fused.narrow(1, 0, shape.q_heads),
                                           fused.narrow(1, shape.q_heads, shape.kv_heads),
                                           fused.narrow(1, shape.q_heads + shape.kv_heads, shape.kv_heads)};
      std::vector<torch::Tensor> copies;
      for (const auto& t : sliced) copies.push_back(t.contiguous());
      KATA_ASSERT_OK(output_diff(sliced, copies, causal));
    }
  }
}

TEST(GroupedQueryAttention, NoFutureLeakage) {
  kata_test::meaning(
      "With causal true, changing queries, keys or values at positions after t changed the output at t: "
      "the causal mask is missing, inverted, or built on the wrong axis (it must hide keys j > i from "
      "query i, in every head).");
  for (const auto& shape : kShapes) {
    auto qkv = random_qkv(shape, torch::kFloat64);
    for (int64_t t : {int64_t{0}, shape.seq / 2, shape.seq - 2}) {
      auto perturbed = qkv;
      auto after_t = Slice(t + 1, torch::indexing::None);
      for (auto& x : perturbed) {
        x = x.clone();
        x.index_put_({"...", after_t, Slice()}, torch::randn_like(x.index({"...", after_t, Slice()})) * 3);
      }
      auto before = learner(qkv, true);
      KATA_ASSERT_OK(layout_diff(before, qkv[0], describe_case(qkv, true)));
      auto up_to_t = Slice(0, t + 1);
      KATA_ASSERT_OK(diff(learner(perturbed, true).index({"...", up_to_t, Slice()}),
                          before.index({"...", up_to_t, Slice()}),
                          fmt::format("output at positions <= {} after changing q, k, v at positions > {}", t, t),
                          describe_case(qkv, true)));
    }
  }
}

TEST(GroupedQueryAttention, LargeScoresStayFinite) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "With large scores exp() overflows to inf and the output turns NaN: subtract each row's "
                     "maximum before exponentiating (torch::softmax does this for you).");
  kata_test::meaning("With large scores the output differs: the softmax loses accuracy or overflows.");
  // float32 overflows exp() above ~88, float64 above ~709. The looser float32 tolerance absorbs rounding of
  // scores in the hundreds; an overflow gives inf or NaN, which no tolerance accepts.
  struct Case {
    torch::ScalarType dtype;
    double scale;
    kata_test::Tolerance tol;
  };
  for (const auto& c : {Case{torch::kFloat64, 1e3, {1e-7, 1e-7}}, Case{torch::kFloat32, 12.0, {1e-3, 1e-3}}}) {
    for (bool causal : {false, true}) {
      auto qkv = random_qkv({2, 4, 2, 8, 4}, c.dtype);
      for (auto& t : qkv) t = t * c.scale;
      auto want = expected(qkv, causal);
      auto max_score = (torch::matmul(qkv[0], qkv[1].repeat_interleave(2, 1).transpose(-2, -1)) / 2).abs().max();
      KATA_ASSERT_OK(diff(learner(qkv, causal), want,
                          fmt::format("output with scores up to {:.0f}", max_score.item<double>()),
                          describe_case(qkv, causal), c.tol));
    }
  }
}

TEST(GroupedQueryAttention, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into its inputs (an in-place op such as q.mul_ or k.transpose_): callers reuse "
      "q, k and v (k and v are often a KV cache), so they must be left as they were.");
  for (bool causal : {false, true}) {
    auto qkv = random_qkv({2, 6, 2, 5, 4}, torch::kFloat64);
    std::vector<torch::Tensor> copies;
    for (const auto& t : qkv) copies.push_back(t.clone());
    learner(qkv, causal);
    const char* names[] = {"q", "k", "v"};
    for (int i = 0; i < 3; ++i) {
      KATA_ASSERT_OK(diff(qkv[i], copies[i], std::string(names[i]) + " after the call", describe_case(copies, causal),
                          kata_test::Tolerance{0, 0}));
    }
  }
}

}  // namespace

// Hidden tests for causal_attention: the learner's kata::causal_attention against the reference.
#include "kata_test.h"

#include <fmt/format.h>

#include "causal_attention.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::describe;
using kata_test::diff;

struct Shape {
  int64_t batch, heads, seq, head_dim;
};
// seq != head_dim everywhere, so scaling by the wrong one of them shows.
const std::vector<Shape> kShapes = {{2, 3, 5, 8}, {1, 1, 1, 4}, {1, 2, 7, 3}, {3, 1, 16, 32}, {2, 4, 9, 6}};

std::vector<torch::Tensor> random_qkv(const Shape& s, torch::ScalarType dtype, double scale = 1.0) {
  auto opts = torch::TensorOptions().dtype(dtype);
  std::vector<torch::Tensor> qkv;
  for (int i = 0; i < 3; ++i) qkv.push_back(torch::randn({s.batch, s.heads, s.seq, s.head_dim}, opts) * scale);
  return qkv;
}

std::string describe_qkv(const std::vector<torch::Tensor>& qkv) {
  return describe({{"q", qkv[0]}, {"k", qkv[1]}, {"v", qkv[2]}});
}

torch::Tensor learner(const std::vector<torch::Tensor>& qkv) { return kata::causal_attention(qkv[0], qkv[1], qkv[2]); }
torch::Tensor expected(const std::vector<torch::Tensor>& qkv) {
  return reference::kata::causal_attention(qkv[0], qkv[1], qkv[2]);
}

// The learner's output against the reference's, the reference computed first on inputs nobody touched yet.
std::optional<std::string> output_diff(const std::vector<torch::Tensor>& inputs, const std::vector<torch::Tensor>& qkv,
                                       const std::string& what, std::optional<kata_test::Tolerance> tol = {}) {
  auto want = expected(qkv);
  return diff(learner(inputs), want, what, describe_qkv(inputs), tol);
}

TEST(CausalAttention, OutputFloat64) {
  kata_test::meaning(
      "The attention output differs: check the scale (1/sqrt(head_dim)), the mask (j <= i, "
      "diagonal included), the softmax dimension (over keys, the last one) and the matmul order.");
  for (const auto& shape : kShapes) {
    auto qkv = random_qkv(shape, torch::kFloat64);
    KATA_ASSERT_OK(output_diff(qkv, qkv, "output"));
  }
}

TEST(CausalAttention, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in must give float32 out: build masks and constants with the inputs' dtype "
                     "(q.options()) instead of the default dtype or double tensors.");
  for (const auto& shape : kShapes) {
    auto qkv = random_qkv(shape, torch::kFloat32);
    KATA_ASSERT_OK(output_diff(qkv, qkv, "output"));
  }
}

TEST(CausalAttention, GradientsQKV) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The output must be computed with differentiable tensor ops on q, k, v: no .detach(), "
                     "no values copied out with .item() or through raw pointers.");
  kata_test::explain(kata_test::Symptom::gradient_only,
                     "The forward matches but a gradient does not: look for in-place writes into tensors "
                     "autograd saved, and for a part of the computation done outside autograd.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& shape : kShapes) {
      auto qkv = random_qkv(shape, dtype);
      auto weight = torch::randn_like(qkv[0]);
      KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(learner, qkv, weight),
                                              kata_test::run_backward(expected, qkv, weight), {"q", "k", "v"},
                                              describe_qkv(qkv)));
    }
  }
}

TEST(CausalAttention, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence, a batch of one or a single head breaks a solution that squeezes "
      "dimensions, hard-codes sizes or builds the mask from the wrong dimension.");
  for (const auto& shape : std::vector<Shape>{{1, 1, 1, 1}, {1, 1, 1, 8}, {4, 1, 1, 2}, {1, 1, 6, 1}}) {
    auto qkv = random_qkv(shape, torch::kFloat64);
    KATA_ASSERT_OK(output_diff(qkv, qkv, "output"));
  }
}

TEST(CausalAttention, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views (transposed storage) give different results: .view() on a "
      "non-contiguous tensor or indexing raw data_ptr assumes a memory layout; use reshape, "
      "transpose and matmul.");
  for (const auto& shape : kShapes) {
    auto qkv = random_qkv(shape, torch::kFloat64);
    std::vector<torch::Tensor> views;
    for (const auto& t : qkv) views.push_back(kata_test::non_contiguous(t));
    KATA_ASSERT_OK(output_diff(views, qkv, "output"));
  }
}

TEST(CausalAttention, NoFutureLeakage) {
  kata_test::meaning(
      "Changing keys/values/queries at positions after t changed the output at t: the causal "
      "mask is missing, inverted, or built on the wrong axis (it must hide keys j > i from query i).");
  for (const auto& shape : kShapes) {
    if (shape.seq < 2) continue;
    auto qkv = random_qkv(shape, torch::kFloat64);
    for (int64_t t : {int64_t{0}, shape.seq / 2, shape.seq - 2}) {
      auto perturbed = qkv;
      auto after_t = torch::indexing::Slice(t + 1, torch::indexing::None);
      for (auto& x : perturbed) {
        x = x.clone();
        x.index_put_({"...", after_t, torch::indexing::Slice()},
                     torch::randn_like(x.index({"...", after_t, torch::indexing::Slice()})) * 3);
      }
      auto up_to_t = torch::indexing::Slice(0, t + 1);
      auto before = learner(qkv).index({"...", up_to_t, torch::indexing::Slice()});
      auto after = learner(perturbed).index({"...", up_to_t, torch::indexing::Slice()});
      KATA_ASSERT_OK(diff(
          after, before,
          "output at positions <= " + std::to_string(t) + " after changing q, k, v at positions > " + std::to_string(t),
          describe_qkv(qkv)));
    }
  }
}

TEST(CausalAttention, LargeScoresStayFinite) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "With large scores exp() overflows to inf and the output turns NaN: subtract each row's "
                     "maximum before exponentiating (torch::softmax does this for you).");
  // float32 overflows exp() above ~88, float64 above ~709. The looser float32 tolerance absorbs rounding
  // of scores in the hundreds; an overflow gives inf or NaN, which no tolerance accepts.
  struct Case {
    torch::ScalarType dtype;
    double scale;
    kata_test::Tolerance tol;
  };
  for (const auto& c : {Case{torch::kFloat64, 1e3, {1e-7, 1e-7}}, Case{torch::kFloat32, 12.0, {1e-3, 1e-3}}}) {
    auto qkv = random_qkv({2, 2, 8, 4}, c.dtype, c.scale);
    auto max_score = (torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) / 2).abs().max().item<double>();
    KATA_ASSERT_OK(output_diff(qkv, qkv, fmt::format("output with scores up to {:.0f}", max_score), c.tol));
  }
}

TEST(CausalAttention, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into its inputs (an in-place op such as q.mul_ or k.transpose_): "
      "callers reuse q, k and v, so they must be left as they were.");
  auto qkv = random_qkv({2, 2, 6, 4}, torch::kFloat64);
  std::vector<torch::Tensor> copies;
  for (const auto& t : qkv) copies.push_back(t.clone());
  learner(qkv);
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    KATA_ASSERT_OK(diff(qkv[i], copies[i], std::string(names[i]) + " after the call", describe_qkv(copies),
                        kata_test::Tolerance{0, 0}));
  }
}

}  // namespace

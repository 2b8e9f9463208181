// Hidden tests for softmax_backward: the learner's kata::softmax_backward against the reference and against
// autograd's own softmax gradient, along every dimension, plus the gradients of the backward itself (it is
// built from tensor ops, so it is differentiable too) and a dimension too long for a Jacobian to fit.
#include "kata_test.h"

#include <fmt/format.h>

#include "softmax_backward.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

struct Case {
  std::vector<int64_t> shape;
  int64_t dim;
};
// Every dim of a 3-D and 4-D tensor, positive and negative, and a square one where a sum broadcast along the
// wrong axis still has the right shape.
const std::vector<Case> kCases = {{{4, 7}, -1}, {{5, 5}, -1}, {{5, 5}, 0},     {{2, 3, 6}, 1},
                                  {{3, 4, 6}, 0}, {{2, 3, 4, 5}, -2}, {{2, 3, 4, 5}, 3}};

// y = softmax(x) of a random x, and a random upstream gradient, both of one dtype.
struct Inputs {
  torch::Tensor y, grad_y;
};
Inputs random_inputs(const Case& c, torch::ScalarType dtype, double spread = 2.0) {
  auto opts = torch::TensorOptions().dtype(dtype);
  return {torch::softmax(torch::randn(c.shape, opts) * spread, c.dim), torch::randn(c.shape, opts)};
}

std::string describe_case(const Inputs& in, int64_t dim) {
  return fmt::format("{}, dim {}", kata_test::describe({{"y", in.y}, {"grad_y", in.grad_y}}), dim);
}

std::optional<std::string> check_output(const Inputs& in, int64_t dim, const std::string& what = "grad_x") {
  auto want = reference::kata::softmax_backward(in.y, in.grad_y, dim);
  return diff(kata::softmax_backward(in.y, in.grad_y, dim), want, what, describe_case(in, dim));
}

TEST(SoftmaxBackward, OutputFloat64) {
  kata_test::meaning(
      "grad_x differs: grad_x = y * (grad_y - sum(grad_y * y)), the sum taken along dim and kept as a size-1 "
      "dimension so it broadcasts back over dim.");
  for (const auto& c : kCases) KATA_ASSERT_OK(check_output(random_inputs(c, torch::kFloat64), c.dim));
}

TEST(SoftmaxBackward, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in gives float32 out: build any constant or buffer with y.options().");
  kata_test::meaning("float32 inputs must give the same values, in float32.");
  for (const auto& c : kCases) KATA_ASSERT_OK(check_output(random_inputs(c, torch::kFloat32), c.dim));
}

TEST(SoftmaxBackward, MatchesAutograd) {
  kata_test::meaning(
      "Yours differs from what autograd computes for softmax itself: the Jacobian of softmax is "
      "diag(y) - y y^T along dim, and grad_x is it applied to grad_y.");
  for (const auto& c : kCases) {
    auto x = (torch::randn(c.shape, torch::kFloat64) * 2).requires_grad_(true);
    auto y = torch::softmax(x, c.dim);
    auto grad_y = torch::randn(c.shape, torch::kFloat64);
    auto want = torch::autograd::grad({y}, {x}, {grad_y})[0];
    Inputs in{y.detach(), grad_y};
    KATA_ASSERT_OK(diff(kata::softmax_backward(in.y, in.grad_y, c.dim), want, "grad_x against autograd",
                        describe_case(in, c.dim)));
  }
}

TEST(SoftmaxBackward, GradientsOfTheBackward) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Build grad_x from differentiable tensor ops on y and grad_y: no .detach(), NoGradGuard, "
                     "values copied out with .item() or filled in through data_ptr.");
  kata_test::meaning(
      "Second derivatives (for a Hessian-vector product, or gradient penalties) flow through your backward: "
      "its gradients w.r.t. y and grad_y differ, so part of it is not the tensor expression it should be.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : kCases) {
      auto in = random_inputs(c, dtype);
      auto f = [&](const std::vector<torch::Tensor>& t, auto fn) { return fn(t[0], t[1], c.dim); };
      auto learner = [&](const std::vector<torch::Tensor>& t) { return f(t, kata::softmax_backward); };
      auto expected = [&](const std::vector<torch::Tensor>& t) { return f(t, reference::kata::softmax_backward); };
      auto weight = torch::randn_like(in.y);
      KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(learner, {in.y, in.grad_y}, weight),
                                              kata_test::run_backward(expected, {in.y, in.grad_y}, weight),
                                              {"y", "grad_y"}, describe_case(in, c.dim)));
    }
  }
}

TEST(SoftmaxBackward, EdgeShapes) {
  kata_test::meaning(
      "A dimension of size 1 (softmax is then constant 1, so grad_x is 0), a single element, a 1-D tensor "
      "and an empty batch break code that squeezes dimensions or assumes 2-D inputs.");
  for (const auto& c : std::vector<Case>{{{4, 1}, -1}, {{1}, 0}, {{9}, 0}, {{0, 5}, -1}, {{3, 1, 4}, 1}})
    KATA_ASSERT_OK(check_output(random_inputs(c, torch::kFloat64), c.dim));
}

TEST(SoftmaxBackward, NonContiguousInputs) {
  kata_test::meaning(
      "y or grad_y as views (transposed storage) give other results: .view() or data_ptr indexing assumes a "
      "memory layout; use reshape, movedim and tensor ops.");
  for (const auto& c : kCases) {
    auto in = random_inputs(c, torch::kFloat64);
    Inputs views{kata_test::non_contiguous(in.y), kata_test::non_contiguous(in.grad_y)};
    auto want = reference::kata::softmax_backward(in.y, in.grad_y, c.dim);
    KATA_ASSERT_OK(diff(kata::softmax_backward(views.y, views.grad_y, c.dim), want, "grad_x",
                        describe_case(views, c.dim)));
  }
}

TEST(SoftmaxBackward, LongDimension) {
  kata_test::meaning(
      "A softmax over 30000 classes: the Jacobian would be 30000 x 30000 per row (7 GB in float64). Compute "
      "the product J^T grad_y directly, in O(n) memory.");
  KATA_ASSERT_OK(check_output(random_inputs({{2, 30000}, -1}, torch::kFloat64), -1));
}

TEST(SoftmaxBackward, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into y or grad_y (an in-place op such as grad_y.sub_): callers reuse them, so they "
      "must be left as they were.");
  auto in = random_inputs({{3, 6}, -1}, torch::kFloat64);
  auto y = in.y.clone(), grad_y = in.grad_y.clone();
  kata::softmax_backward(in.y, in.grad_y, -1);
  KATA_ASSERT_OK(diff(in.y, y, "y after the call", describe_case({y, grad_y}, -1), kata_test::Tolerance{0, 0}));
  KATA_ASSERT_OK(
      diff(in.grad_y, grad_y, "grad_y after the call", describe_case({y, grad_y}, -1), kata_test::Tolerance{0, 0}));
}

}  // namespace

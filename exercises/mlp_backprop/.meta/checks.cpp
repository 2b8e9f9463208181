// Hidden tests for mlp_backprop: the learner's loss, dw1, db1, dw2 and db2 against the reference and against
// autograd through the plain forward (computed here, on the trusted side), in float64 and float32, with ReLU
// and GELU, plus what any correct backward satisfies: the directional derivative of the loss matches finite
// differences, a repeated batch changes nothing (the loss is a mean), a ReLU unit that never fires gets no
// gradient; edge shapes, views, and inputs left unchanged.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "mlp_backprop.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Shape {
  int64_t n, in, hidden, out;
};
// n >= 2 (a bias gradient taken from one row, or averaged, shows) and out >= 2 (a mean over the n rows only,
// instead of all n * out squared errors, shows); in, hidden and out all differ, so a transposed weight
// gradient has the wrong shape. Every check runs both activations: a derivative taken at h = act(z) instead of
// at z is exact for ReLU (h > 0 exactly where z > 0), so only GELU shows it.
const std::vector<Shape> kShapes = {{6, 5, 8, 3}, {4, 3, 7, 2}, {9, 10, 4, 5}};
const std::vector<std::string> kActivations = {"relu", "gelu"};

struct Inputs {
  torch::Tensor x, y, w1, b1, w2, b2;
};

torch::Tensor pre_activation(const Inputs& in) { return torch::matmul(in.x, in.w1.t()) + in.b1; }

// Weights at PyTorch's initialisation scale (1 / sqrt(fan_in)), so pre-activations are O(1) and GELU is far from
// both of its asymptotes; the pre-activations are kept at least 1e-3 away from 0, where ReLU has its kink (and
// a finite difference would cross it).
Inputs random_inputs(const Shape& s, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(dtype);
  Inputs in;
  for (int attempt = 0; attempt < 200; ++attempt) {
    in = {torch::randn({s.n, s.in}, opts),
          torch::randn({s.n, s.out}, opts),
          torch::randn({s.hidden, s.in}, opts) / std::sqrt(static_cast<double>(s.in)),
          torch::randn({s.hidden}, opts) * 0.5,
          torch::randn({s.out, s.hidden}, opts) / std::sqrt(static_cast<double>(s.hidden)),
          torch::randn({s.out}, opts) * 0.5};
    if (pre_activation(in).abs().min().item<double>() > 1e-3) break;
  }
  return in;
}

std::vector<torch::Tensor> as_list(const Inputs& in) { return {in.x, in.y, in.w1, in.b1, in.w2, in.b2}; }

// "activation gelu, x [6, 5] float64, y [6, 3] float64, w1 [8, 5] float64, ..., seed 7"
std::string describe_case(const Inputs& in, const std::string& act) {
  return fmt::format(
      "activation {}, {}", act,
      kata_test::describe({{"x", in.x}, {"y", in.y}, {"w1", in.w1}, {"b1", in.b1}, {"w2", in.w2}, {"b2", in.b2}}));
}

kata::MlpGrads learner(const Inputs& in, const std::string& act) {
  return kata::mlp_backprop(in.x, in.y, in.w1, in.b1, in.w2, in.b2, act);
}

// The plain forward: the loss autograd and the finite differences differentiate.
torch::Tensor forward_loss(const Inputs& in, const std::string& act) {
  auto z = pre_activation(in);
  auto h = act == "relu" ? torch::relu(z) : torch::gelu(z);
  return torch::mse_loss(torch::matmul(h, in.w2.t()) + in.b2, in.y);
}

const char* kOutputs[] = {"loss", "dw1", "db1", "dw2", "db2"};

// loss, dw1, db1, dw2, db2 against `want` in that order; `what` follows each name ("dw1 against autograd").
std::optional<std::string> outputs_diff(const kata::MlpGrads& got, const std::vector<torch::Tensor>& want,
                                        const std::string& case_desc, const std::string& what = "") {
  const torch::Tensor* mine[] = {&got.loss, &got.dw1, &got.db1, &got.dw2, &got.db2};
  for (int i = 0; i < 5; ++i)
    if (auto e = diff(*mine[i], want[i], kOutputs[i] + what, case_desc)) return e;
  return std::nullopt;
}

// The learner's results on `inputs` against the reference's on `values` (the same values; `inputs` may be
// views). The reference runs first, so a learner that writes into its inputs cannot change what it is
// compared with.
std::optional<std::string> reference_diff(const Inputs& inputs, const Inputs& values, const std::string& act) {
  auto want = reference::kata::mlp_backprop(values.x, values.y, values.w1, values.b1, values.w2, values.b2, act);
  return outputs_diff(learner(inputs, act), {want.loss, want.dw1, want.db1, want.dw2, want.db2},
                      describe_case(inputs, act));
}
std::optional<std::string> reference_diff(const Inputs& in, const std::string& act) {
  return reference_diff(in, in, act);
}

// diff's shape and dtype part only, for the property checks, which compute with the results.
std::optional<std::string> layout_diff(const kata::MlpGrads& got, const Inputs& in, const std::string& act) {
  const torch::Tensor* mine[] = {&got.loss, &got.dw1, &got.db1, &got.dw2, &got.db2};
  const torch::Tensor want[] = {torch::zeros({}, in.x.options()), in.w1, in.b1, in.w2, in.b2};
  for (int i = 0; i < 5; ++i) {
    const auto& t = *mine[i];
    if (!t.defined() || t.sizes() != want[i].sizes() || t.scalar_type() != want[i].scalar_type())
      return diff(t, want[i], kOutputs[i], describe_case(in, act));
  }
  return std::nullopt;
}

const char* kOrder =
    "Check, in this order: the loss is the mean over all N * out squared errors, so dL/dpred = 2 (pred - y) / "
    "(N * out); dw2 = dpred^T h and dw1 = dz^T x (each [fan_out, fan_in], like its weight); the bias gradients "
    "summed over the batch; dh = dpred w2; the activation's derivative taken at the pre-activation z (ReLU: 1 "
    "where z > 0, else 0; GELU: Phi(z) + z phi(z), the exact erf GELU, not the tanh approximation).";

TEST(MlpBackprop, LossAndGradsFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Keep the inputs' dtype throughout: a constant or mask made in float32 (torch::zeros or "
                     "torch::tensor without options, .to(torch::kFloat)) rounds a float64 run.");
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "Each gradient has its parameter's shape: dw1 [hidden, in] = dz^T x, not x^T dz; dw2 [out, "
                     "hidden] = dpred^T h; db1 [hidden] and db2 [out] summed over the batch (dim 0), not over "
                     "everything; the loss 0-dim.");
  kata_test::meaning(std::string("The loss or a gradient differs. ") + kOrder);
  for (const auto& shape : kShapes)
    for (const auto& act : kActivations) KATA_ASSERT_OK(reference_diff(random_inputs(shape, torch::kFloat64), act));
}

TEST(MlpBackprop, LossAndGradsFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in gives float32 out: build masks, constants and buffers from the inputs "
                     "(x.options(), z.scalar_type()), not as float64 tensors.");
  kata_test::meaning(
      std::string("The float32 loss or gradients differ: precision lost somewhere, or the same things as in "
                  "float64. ") +
      kOrder);
  for (const auto& shape : kShapes)
    for (const auto& act : kActivations) KATA_ASSERT_OK(reference_diff(random_inputs(shape, torch::kFloat32), act));
}

TEST(MlpBackprop, MatchesAutograd) {
  kata_test::meaning(
      "Yours differs from what autograd computes for the plain forward, torch::mse_loss(act(x w1^T + b1) w2^T + "
      "b2, y), with act torch::relu or torch::gelu (exact).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& shape : kShapes) {
      for (const auto& act : kActivations) {
        auto in = random_inputs(shape, dtype);
        Inputs leaves = in;
        for (auto* t : {&leaves.w1, &leaves.b1, &leaves.w2, &leaves.b2}) *t = t->detach().clone().requires_grad_(true);
        auto loss = forward_loss(leaves, act);
        auto grads = torch::autograd::grad({loss}, {leaves.w1, leaves.b1, leaves.w2, leaves.b2});
        KATA_ASSERT_OK(outputs_diff(learner(in, act), {loss.detach(), grads[0], grads[1], grads[2], grads[3]},
                                    describe_case(in, act), " against autograd"));
      }
    }
  }
}

TEST(MlpBackprop, EdgeShapes) {
  kata_test::meaning(
      "A batch of one, one input feature, one hidden unit or one output breaks a solution that squeezes "
      "dimensions (a [1, k] tensor squeezed to [k], or to a 0-dim one), hard-codes sizes, or sums a bias "
      "gradient over the wrong dimension (over dim 1, or everything, instead of the batch, dim 0).");
  for (const auto& shape : std::vector<Shape>{
           {1, 1, 1, 1}, {1, 4, 3, 2}, {5, 3, 4, 1}, {4, 3, 1, 2}, {4, 1, 3, 2}, {1, 2, 1, 3}, {7, 1, 1, 1}})
    for (const auto& act : kActivations) KATA_ASSERT_OK(reference_diff(random_inputs(shape, torch::kFloat64), act));
}

TEST(MlpBackprop, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views give different results: .view() on a non-contiguous tensor, or indexing raw "
      "data_ptr, assumes a memory layout; use matmul, .t(), reshape (or .contiguous() first).");
  for (const auto& shape : kShapes) {
    for (const auto& act : kActivations) {
      auto in = random_inputs(shape, torch::kFloat64);
      // Every tensor stored transposed (a weight kept as [in, hidden], as nn.Linear's transpose), and x as a
      // slice of a wider batch of features.
      auto wide = torch::randn({shape.n, shape.in + 3}, torch::kFloat64);
      wide.narrow(1, 2, shape.in).copy_(in.x);
      Inputs views{wide.narrow(1, 2, shape.in),      kata_test::non_contiguous(in.y),
                   kata_test::non_contiguous(in.w1), kata_test::non_contiguous(in.b1),
                   kata_test::non_contiguous(in.w2), kata_test::non_contiguous(in.b2)};
      KATA_ASSERT_OK(reference_diff(views, in, act));
    }
  }
}

TEST(MlpBackprop, FiniteDifferences) {
  kata_test::meaning(
      "The gradients are not the gradient of the loss: moving the parameters a tiny step eps along a random "
      "direction v changes the loss by eps * <grads, v> (central differences of the plain forward, in float64), "
      "and yours predicts another change. The sign, a factor (2, 1/N, 1/out) or the activation's derivative is "
      "off.");
  const double eps = 1e-6;
  for (const auto& shape : kShapes) {
    for (const auto& act : kActivations) {
      auto in = random_inputs(shape, torch::kFloat64);
      auto got = learner(in, act);
      KATA_ASSERT_OK(layout_diff(got, in, act));
      std::vector<torch::Tensor> v = {torch::randn_like(in.w1), torch::randn_like(in.b1), torch::randn_like(in.w2),
                                      torch::randn_like(in.b2)};
      auto moved = [&](double step) {
        Inputs p = in;
        p.w1 = in.w1 + step * v[0];
        p.b1 = in.b1 + step * v[1];
        p.w2 = in.w2 + step * v[2];
        p.b2 = in.b2 + step * v[3];
        return forward_loss(p, act);
      };
      auto numeric = (moved(eps) - moved(-eps)) / (2 * eps);
      auto predicted =
          (got.dw1 * v[0]).sum() + (got.db1 * v[1]).sum() + (got.dw2 * v[2]).sum() + (got.db2 * v[3]).sum();
      // Central differences are exact to ~1e-12 here (eps^2 times the third derivative); the rounding of the
      // two losses divided by 2 eps is ~1e-10.
      KATA_ASSERT_OK(diff(predicted, numeric, "<(dw1, db1, dw2, db2), v> against (L(p + eps v) - L(p - eps v)) / 2 eps",
                          describe_case(in, act), kata_test::Tolerance{1e-6, 1e-8}));
    }
  }
}

TEST(MlpBackprop, RepeatedBatchChangesNothing) {
  kata_test::meaning(
      "The loss is a mean: the same batch given twice (x and y stacked on themselves) must give the same loss "
      "and the same gradients. Yours changes, so it sums over the batch instead of averaging (or divides by "
      "something other than N * out).");
  for (const auto& shape : kShapes) {
    for (const auto& act : kActivations) {
      auto in = random_inputs(shape, torch::kFloat64);
      auto once = learner(in, act);
      KATA_ASSERT_OK(layout_diff(once, in, act));
      Inputs twice = in;
      twice.x = torch::cat({in.x, in.x}, /*dim=*/0);
      twice.y = torch::cat({in.y, in.y}, /*dim=*/0);
      KATA_ASSERT_OK(outputs_diff(learner(twice, act), {once.loss, once.dw1, once.db1, once.dw2, once.db2},
                                  describe_case(twice, act), " with the batch repeated (vs. yours on it once)"));
    }
  }
}

TEST(MlpBackprop, DeadReluUnitsGetNoGradient) {
  kata_test::meaning(
      "With ReLU, a hidden unit whose pre-activation is negative for every example outputs 0 and has derivative "
      "0, so its row of dw1, its db1 and its column of dw2 must all be exactly 0. Yours gives it gradient: the "
      "ReLU derivative is not 0 where z <= 0 (taken as 1 everywhere, or computed from something other than z).");
  for (const auto& shape : kShapes) {
    auto in = random_inputs(shape, torch::kFloat64);
    // Units 0 and 2 never fire: their bias is far below anything x w1^T reaches.
    auto dead = torch::tensor({0, 2}, torch::kInt64);
    in.b1 = in.b1.index_fill(/*dim=*/0, dead, -50.0);
    auto got = learner(in, "relu");
    KATA_ASSERT_OK(layout_diff(got, in, "relu"));
    auto desc = describe_case(in, "relu");
    auto dw1 = got.dw1.index_select(0, dead), db1 = got.db1.index_select(0, dead);
    auto dw2 = got.dw2.index_select(1, dead);
    KATA_ASSERT_OK(diff(dw1, torch::zeros_like(dw1), "dw1 rows 0 and 2 (units whose z < 0 for every example)", desc));
    KATA_ASSERT_OK(diff(db1, torch::zeros_like(db1), "db1 at units 0 and 2 (z < 0 for every example)", desc));
    KATA_ASSERT_OK(
        diff(dw2, torch::zeros_like(dw2), "dw2 columns 0 and 2 (units whose h = 0 for every example)", desc));
  }
}

TEST(MlpBackprop, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into its inputs (an in-place op such as z.relu_() on a view of an input, "
      "w1.t_(), b1.add_ or x.mul_): callers reuse x, y and the parameters, so they must be left as they were.");
  const std::vector<std::string> names = {"x", "y", "w1", "b1", "w2", "b2"};
  for (const auto& act : kActivations) {
    auto in = random_inputs({5, 4, 6, 3}, torch::kFloat64);
    auto before = as_list(in);
    std::vector<torch::Tensor> copies;
    for (const auto& t : before) copies.push_back(t.clone());
    Inputs copy{copies[0], copies[1], copies[2], copies[3], copies[4], copies[5]};
    learner(in, act);
    for (size_t i = 0; i < before.size(); ++i)
      KATA_ASSERT_OK(diff(before[i], copies[i], names[i] + " after the call", describe_case(copy, act),
                          kata_test::Tolerance{0, 0}));
  }
}

}  // namespace

// Hidden tests for rope: the learner's kata::apply_rope against the reference, plus the properties that make
// RoPE what it is (pair norms kept, attention scores depending only on relative position).
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rope.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using torch::indexing::Slice;

struct Shape {
  int64_t batch, heads, seq, head_dim;
};
// head_dim 6 has an odd number of pairs; head_dim 64 has frequencies spanning base^0 .. base^(-62/64).
const std::vector<Shape> kShapes = {{2, 3, 5, 8}, {1, 2, 7, 4}, {3, 1, 8, 64}, {2, 4, 9, 6}};

torch::Tensor random_x(const Shape& s, torch::ScalarType dtype = torch::kFloat64) {
  return torch::randn({s.batch, s.heads, s.seq, s.head_dim}, torch::TensorOptions().dtype(dtype));
}

torch::Tensor consecutive(int64_t seq, int64_t start = 0) { return torch::arange(start, start + seq, torch::kInt64); }

// "x [2, 3, 5, 8] float64, positions [5] int64, seed 7; positions [37, 38, 39, 40, 41], base 10000"
std::string describe_case(const torch::Tensor& x, const torch::Tensor& positions, double base = 10000.0) {
  auto p = positions.contiguous();
  std::vector<int64_t> values(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + std::min<int64_t>(p.numel(), 8));
  return fmt::format("{}; positions [{}{}], base {:g}", kata_test::describe({{"x", x}, {"positions", positions}}),
                     fmt::join(values, ", "), p.numel() > 8 ? ", ..." : "", base);
}

// Compares the learner's output with the reference's for one case (the reference runs first, on untouched x).
std::optional<std::string> check_output(const torch::Tensor& x, const torch::Tensor& positions, double base = 10000.0) {
  auto want = reference::kata::apply_rope(x, positions, base);
  return diff(kata::apply_rope(x, positions, base), want, "output", describe_case(x, positions, base));
}

// diff's shape and dtype part only: the property checks below compute with the output, which needs x's shape.
std::optional<std::string> layout_diff(const torch::Tensor& got, const torch::Tensor& x, const std::string& case_desc) {
  if (got.defined() && got.sizes() == x.sizes() && got.scalar_type() == x.scalar_type()) return std::nullopt;
  return diff(got, x, "output", case_desc);
}

// The length of each pair (t[..., 2i], t[..., 2i+1]): [batch, heads, seq, head_dim / 2].
torch::Tensor pair_norms(const torch::Tensor& t) {
  return t.reshape({t.size(0), t.size(1), t.size(2), t.size(3) / 2, 2}).pow(2).sum(/*dim=*/-1).sqrt();
}

TEST(Rope, OutputFloat64) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Compute the frequencies and angles in x's dtype: torch::arange and torch::tensor make "
                     "float32 by default, whose angles are off by ~1e-7 relative.");
  kata_test::meaning(
      "The rotated values differ: check the formula (out[2i] = x[2i] cos - x[2i+1] sin, out[2i+1] = "
      "x[2i] sin + x[2i+1] cos) and the frequency base^(-2i/head_dim) with a floating-point exponent.");
  for (const auto& shape : kShapes) {
    auto x = random_x(shape);
    KATA_ASSERT_OK(check_output(x, consecutive(shape.seq)));
  }
}

TEST(Rope, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 in must give float32 out: if you compute the angles in float64, cast cos and sin "
                     "back to x's dtype before multiplying, or the result is promoted to float64.");
  // Positions stay below 9 here: angles computed in float32 are then off by < 2e-6 rad, well inside the float32
  // tolerance, so computing them in either precision is accepted.
  for (const auto& shape : kShapes) {
    auto x = random_x(shape, torch::kFloat32);
    KATA_ASSERT_OK(check_output(x, consecutive(shape.seq)));
  }
}

TEST(Rope, InterleavedPairs) {
  kata_test::meaning(
      "The pairs are adjacent coordinates (2i, 2i+1): x[..., 2i] turns into x[..., 2i+1]. Splitting "
      "the head into halves (i, i + head_dim/2), GPT-NeoX's rotate_half, is a different layout and "
      "rotates the wrong coordinates together.");
  // Batch b holds the unit vector along coordinate b, so the output shows where each coordinate is sent.
  for (int64_t head_dim : {4, 8, 6}) {
    auto unit = torch::eye(head_dim, torch::kFloat64).reshape({head_dim, 1, 1, head_dim});
    auto x = unit.expand({-1, 1, 5, -1}).contiguous();
    auto positions = consecutive(5);
    auto want = reference::kata::apply_rope(x, positions);
    KATA_ASSERT_OK(diff(kata::apply_rope(x, positions), want, "output",
                        describe_case(x, positions) + "; x[b] is the unit vector along coordinate b"));
  }
}

TEST(Rope, GivenPositions) {
  kata_test::meaning(
      "The angle at sequence index t must use positions[t], not t: positions can start anywhere "
      "(decoding with a KV cache), skip, repeat or come unsorted (packed sequences).");
  for (const auto& shape : kShapes) {
    auto x = random_x(shape);
    KATA_ASSERT_OK(check_output(x, consecutive(shape.seq, /*start=*/37)));
    KATA_ASSERT_OK(check_output(x, torch::randint(0, 4096, {shape.seq}, torch::kInt64)));
    KATA_ASSERT_OK(check_output(x, torch::full({shape.seq}, 5, torch::kInt64)));
  }
}

TEST(Rope, CustomBase) {
  kata_test::meaning(
      "The base argument changes the frequencies base^(-2i/head_dim): use it instead of a hard-coded "
      "10000.");
  for (double base : {500.0, 1e6, 10.0}) {
    for (const auto& shape : kShapes) {
      auto x = random_x(shape);
      KATA_ASSERT_OK(check_output(x, consecutive(shape.seq, /*start=*/3), base));
    }
  }
}

TEST(Rope, PairNormsPreserved) {
  kata_test::meaning(
      "RoPE rotates each pair (x[2i], x[2i+1]), which keeps its length; yours changes it, so the "
      "map is not a rotation (a wrong sign or a swapped component) or pairs the wrong coordinates.");
  for (const auto& shape : kShapes) {
    auto x = random_x(shape);
    auto positions = torch::randint(0, 512, {shape.seq}, torch::kInt64);
    auto out = kata::apply_rope(x, positions);
    KATA_ASSERT_OK(layout_diff(out, x, describe_case(x, positions)));
    KATA_ASSERT_OK(
        diff(pair_norms(out), pair_norms(x), "length of each pair (out[2i], out[2i+1])", describe_case(x, positions)));
  }
}

TEST(Rope, RelativePositionProperty) {
  kata_test::meaning(
      "The score rope(q, m) . rope(k, n) must depend only on m - n: shifting every position of q "
      "and k by the same offset changed it, so the angle is not proportional to the position.");
  for (const auto& shape : kShapes) {
    auto q = random_x(shape), k = random_x(shape);
    auto pos_q = torch::randint(0, 64, {shape.seq}, torch::kInt64);
    auto pos_k = torch::randint(0, 64, {shape.seq}, torch::kInt64);
    auto scores = [&](int64_t shift) {
      return torch::matmul(kata::apply_rope(q, pos_q + shift), kata::apply_rope(k, pos_k + shift).transpose(-2, -1));
    };
    std::string what_case = kata_test::describe({{"q", q}, {"k", k}});
    // A wrong shape would make the matmul throw; report it as a wrong output instead.
    KATA_ASSERT_OK(layout_diff(kata::apply_rope(q, pos_q), q, what_case));
    auto at_origin = scores(0);
    for (int64_t shift : {1, 100, 1000}) {
      KATA_ASSERT_OK(diff(scores(shift), at_origin,
                          fmt::format("scores with every position shifted by {} (compared with unshifted)", shift),
                          what_case));
    }
  }
}

TEST(Rope, GradientsX) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Compute the output with differentiable tensor ops on x: no .detach(), NoGradGuard or "
                     "values copied out with .item().");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& shape : kShapes) {
      std::vector<torch::Tensor> inputs = {random_x(shape, dtype), consecutive(shape.seq)};
      auto weight = torch::randn_like(inputs[0]);
      auto run = [](auto apply) {
        return [apply](const std::vector<torch::Tensor>& in) { return apply(in[0], in[1], 10000.0); };
      };
      KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(run(kata::apply_rope), inputs, weight),
                                              kata_test::run_backward(run(reference::kata::apply_rope), inputs, weight),
                                              {"x", "positions"}, describe_case(inputs[0], inputs[1])));
    }
  }
}

TEST(Rope, EdgeShapes) {
  kata_test::meaning(
      "A length-1 sequence, a batch of one, a single head or a single pair (head_dim 2) breaks a "
      "solution that squeezes dimensions or hard-codes sizes.");
  for (const auto& shape : std::vector<Shape>{{1, 1, 1, 2}, {1, 1, 1, 8}, {4, 1, 1, 2}, {1, 1, 6, 2}, {1, 5, 3, 2}}) {
    auto x = random_x(shape);
    KATA_ASSERT_OK(check_output(x, consecutive(shape.seq, /*start=*/2)));
  }
}

TEST(Rope, NonContiguousInputs) {
  kata_test::meaning(
      "Inputs that are views give different results: .view() on a non-contiguous tensor or "
      "indexing raw data_ptr assumes a memory layout; use reshape, slicing and tensor ops.");
  for (const auto& shape : kShapes) {
    auto x = random_x(shape);
    auto positions = consecutive(shape.seq, /*start=*/5);
    auto want = reference::kata::apply_rope(x, positions);
    auto transposed = kata_test::non_contiguous(x);
    KATA_ASSERT_OK(diff(kata::apply_rope(transposed, kata_test::non_contiguous(positions)), want, "output",
                        describe_case(transposed, kata_test::non_contiguous(positions))));
    // q sliced out of a fused qkv projection: a strided view along the last axis.
    auto fused = torch::cat({x, torch::randn_like(x)}, /*dim=*/-1).narrow(/*dim=*/-1, /*start=*/0, shape.head_dim);
    KATA_ASSERT_OK(diff(kata::apply_rope(fused, positions), want, "output", describe_case(fused, positions)));
  }
}

TEST(Rope, InputsUnchanged) {
  kata_test::meaning(
      "The function wrote into its inputs (an in-place op such as x.mul_ or index_put_ on x): "
      "callers reuse x, so it must be left as it was.");
  auto x = random_x({2, 2, 6, 8});
  auto positions = consecutive(6, /*start=*/4);
  auto x_before = x.clone(), positions_before = positions.clone();
  kata::apply_rope(x, positions);
  auto what_case = describe_case(x_before, positions_before);
  KATA_ASSERT_OK(diff(x, x_before, "x after the call", what_case, kata_test::Tolerance{0, 0}));
  KATA_ASSERT_OK(diff(positions, positions_before, "positions after the call", what_case, kata_test::Tolerance{0, 0}));
}

}  // namespace

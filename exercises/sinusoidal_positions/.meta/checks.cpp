// Hidden tests for sinusoidal_positions: the learner's kata::sinusoidal_positions against the reference, on
// first positions, arbitrary and very large ones, other bases and edge shapes, plus the layout and the
// relative-position property that make these encodings what they are.
#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sinusoidal_positions.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;

// d_model 6 has an odd number of pairs; 64 spans frequencies from 1 down to base^(-62/64).
const std::vector<int64_t> kWidths = {8, 2, 6, 64};

// "positions [5] int64 [0, 1, 2, 3, 4], d_model 8, base 10000, seed 7"
std::string describe_case(const torch::Tensor& positions, int64_t d_model, double base) {
  auto p = positions.contiguous();
  std::vector<int64_t> values(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + std::min<int64_t>(p.numel(), 8));
  return fmt::format("{} [{}{}], d_model {}, base {:g}, seed {}", kata_test::describe("positions", positions),
                     fmt::join(values, ", "), p.numel() > 8 ? ", ..." : "", d_model, base, kata_test::run_seed());
}

std::optional<std::string> check_output(const torch::Tensor& positions, int64_t d_model, double base = 10000.0) {
  auto want = reference::kata::sinusoidal_positions(positions, d_model, base);
  return diff(kata::sinusoidal_positions(positions, d_model, base), want, "pe",
              describe_case(positions, d_model, base));
}

torch::Tensor random_positions(int64_t count, int64_t low, int64_t high) {
  return torch::randint(low, high, {count}, torch::kInt64);
}

TEST(SinusoidalPositions, FirstPositions) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "The encodings are float32, whatever you compute them in: round once, at the end.");
  kata_test::meaning(
      "The encodings differ: pe[t, 2i] = sin(t / base^(2i/d_model)) and pe[t, 2i+1] = cos(the same angle); "
      "the exponent is 2i/d_model in floating point, for the pair index i.");
  for (int64_t d : kWidths)
    for (int64_t T : {int64_t{5}, int64_t{1}, int64_t{9}}) KATA_ASSERT_OK(check_output(torch::arange(T), d));
}

TEST(SinusoidalPositions, InterleavedLayout) {
  kata_test::meaning(
      "At position 0 every sine is 0 and every cosine 1, so pe[0] must read 0, 1, 0, 1, ...: sin and cos "
      "interleave (2i, 2i+1). All the sines followed by all the cosines is another layout (tensor2tensor's).");
  auto pe = kata::sinusoidal_positions(torch::zeros({1}, torch::kInt64), 8);
  auto want = torch::tensor({0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0}, torch::kFloat32).reshape({1, 8});
  KATA_ASSERT_OK(diff(pe, want, "pe at position 0", "positions [0], d_model 8", kata_test::Tolerance{0, 0}));
}

TEST(SinusoidalPositions, GivenPositions) {
  kata_test::meaning(
      "Row t encodes positions[t], not t: positions can start anywhere (decoding with a cache), repeat "
      "or come unsorted.");
  for (int64_t d : kWidths) {
    auto positions = random_positions(12, 0, 2000);
    positions[3] = positions[7];  // a repeat
    KATA_ASSERT_OK(check_output(positions, d));
  }
}

TEST(SinusoidalPositions, LargePositions) {
  kata_test::explain(kata_test::Symptom::precision,
                     "Positions this large need float64 angles: compute in float64 and round to float32 once.");
  kata_test::meaning(
      "At positions in the hundreds of thousands a float32 angle is off by ~1e-2 rad: compute the "
      "frequencies and angles in float64 (torch::arange and the positions cast to kFloat64) and round the "
      "result to float32 once, at the end.");
  for (int64_t d : {int64_t{8}, int64_t{64}}) KATA_ASSERT_OK(check_output(random_positions(16, 50000, 400000), d));
}

TEST(SinusoidalPositions, CustomBase) {
  kata_test::meaning("The base argument sets the frequencies base^(-2i/d_model): use it instead of 10000.");
  for (double base : {100.0, 500000.0}) KATA_ASSERT_OK(check_output(random_positions(10, 0, 300), 8, base));
}

TEST(SinusoidalPositions, EdgeShapes) {
  kata_test::meaning(
      "No positions at all gives a [0, d_model] tensor, and d_model 2 a single pair: code that assumes "
      "more rows or more pairs breaks here.");
  KATA_ASSERT_OK(check_output(torch::zeros({0}, torch::kInt64), 8));
  KATA_ASSERT_OK(check_output(torch::tensor({int64_t{3}}), 2));
  KATA_ASSERT_OK(check_output(random_positions(1, 0, 100), 64));
}

TEST(SinusoidalPositions, NonContiguousPositions) {
  kata_test::meaning(
      "positions may be a strided view (every other token of a longer sequence): read it with tensor ops "
      "or .contiguous() before taking data_ptr.");
  auto all = random_positions(20, 0, 1000);
  auto strided = all.slice(/*dim=*/0, /*start=*/0, /*end=*/20, /*step=*/2);
  KATA_ASSERT_OK(check_output(strided, 8));
}

TEST(SinusoidalPositions, RelativeDotProducts) {
  kata_test::meaning(
      "pe[t] . pe[t + k] = sum_i cos(k w_i) depends only on the distance k, not on t: yours does not, so the "
      "angle is not proportional to the position.");
  const int64_t d = 16, k = 3;
  auto starts = random_positions(6, 0, 500);
  auto pairs = torch::stack({starts, starts + k}, /*dim=*/1).reshape({-1});  // t0, t0+k, t1, t1+k, ...
  auto pe = kata::sinusoidal_positions(pairs, d).to(torch::kFloat64).reshape({-1, 2, d});
  if (pe.size(0) != starts.size(0)) FAIL() << "pe has the wrong shape; see the other checks";
  auto dots = (pe.select(1, 0) * pe.select(1, 1)).sum(/*dim=*/-1);  // one per start
  KATA_ASSERT_OK(diff(dots, dots[0].expand_as(dots), fmt::format("pe[t] . pe[t + {}] over t", k),
                      describe_case(pairs, d, 10000.0), kata_test::Tolerance{1e-5, 1e-5}));
}

TEST(SinusoidalPositions, InputsUnchanged) {
  kata_test::meaning("The function wrote into positions: callers reuse them, so they must be left as they were.");
  auto positions = random_positions(9, 0, 100);
  auto before = positions.clone();
  kata::sinusoidal_positions(positions, 8);
  KATA_ASSERT_OK(diff(positions, before, "positions after the call", describe_case(before, 8, 10000.0),
                      kata_test::Tolerance{0, 0}));
}

}  // namespace

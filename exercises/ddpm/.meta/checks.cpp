// Hidden tests for ddpm: the learner's schedules, q_sample, ddpm_step and ddim_step, each against the reference
// on its own (the step checks build their schedules with the reference), so a mistake in one function is named
// at that function's check. Each check's first case is one where every known mistake of that function changes
// the values on every seed: timesteps t >= 1 (t = 0 has its own checks), x0 predictions well outside [-1, 1],
// noise z = 0 where only the posterior mean is compared.
//
// Tolerances: the kit's (float64 rtol = atol = 1e-10; float32 rtol 1.3e-6, atol 1e-5). Measured with a /tmp
// program over 20 seeds on these inputs: right solutions written differently (.meta/cases/ok_*.cpp: the schedule
// cast to float32 first, coefficients as doubles, the mean through the x0 prediction, DDIM folded into one linear
// map) differ from the reference by at most 1e-14 in float64 and by at most 3% of the float32 tolerance, while the
// known mistakes differ by 1e-3 (a schedule's one clipped beta) to 17. The schedule keeps alpha_bar >= 0.12
// where float32 is compared, so dividing by sqrt(alpha_bar) amplifies rounding at most ~3x.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "ddpm.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
namespace ref = reference::kata;

kata_test::Tolerance tol_for(torch::ScalarType dtype) { return kata_test::tolerance_for(dtype); }

// The schedule most checks use: T = 20 linear betas 0.01 .. 0.2 (alpha_bar from 0.99 down to ~0.12), so no
// coefficient is tiny and float32 stays accurate.
const int64_t kT = 20;
torch::Tensor betas20() { return ref::linear_betas(kT, 0.01, 0.2); }
torch::Tensor alpha_bar_of(const torch::Tensor& betas) { return torch::cumprod(1 - betas, 0); }

int64_t rand_int(int64_t lo, int64_t hi) {  // in [lo, hi]
  return torch::randint(lo, hi + 1, {1}, torch::kInt64).item<int64_t>();
}

std::string values(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  std::vector<std::string> parts;
  for (int64_t i = 0; i < c.numel(); ++i) parts.push_back(fmt::format("{:.6g}", c.data_ptr<double>()[i]));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string describe_t(const torch::Tensor& t) {
  return t.numel() <= 8 ? "t " + values(t) : "t [" + std::to_string(t.numel()) + " values]";
}

// ---- schedules

std::optional<std::string> check_linear(int64_t T, double b1, double bT) {
  auto want = ref::linear_betas(T, b1, bT);
  return diff(kata::linear_betas(T, b1, bT), want, fmt::format("linear_betas(T = {}, beta_1 = {}, beta_T = {})", T, b1, bT),
              fmt::format("expected {}", T <= 6 ? values(want) : "[" + std::to_string(T) + " values]"));
}

std::optional<std::string> check_cosine(int64_t T) {
  auto want = ref::cosine_betas(T);
  std::string shown = T <= 6 ? values(want)
                             : fmt::format("[{:.6g}, {:.6g}, ..., {:.6g}, {:.6g}]", want[0].item<double>(),
                                           want[1].item<double>(), want[T - 2].item<double>(), want[T - 1].item<double>());
  return diff(kata::cosine_betas(T), want, fmt::format("cosine_betas(T = {})", T), "expected " + shown);
}

TEST(Ddpm, LinearBetas) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "The schedules are float64 [T] (torch::kFloat64).");
  kata_test::meaning(
      "betas[t] = beta_1 + (beta_T - beta_1) * t / (T - 1) for t = 0 .. T-1: T values, the first beta_1 and the "
      "last exactly beta_T (torch::linspace(beta_1, beta_T, T, torch::kFloat64)). A step of (beta_T - beta_1) / T, "
      "or arange(beta_1, beta_T, step), stops one step short of beta_T. T == 1 gives [beta_1].");
  KATA_ASSERT_OK(check_linear(5, 0.1, 0.5));
  KATA_ASSERT_OK(check_linear(1000, 1e-4, 0.02));
  KATA_ASSERT_OK(check_linear(2, 0.05, 0.3));
  KATA_ASSERT_OK(check_linear(1, 0.02, 0.3));
  double b1 = 1e-4 + 1e-3 * torch::rand({}, torch::kFloat64).item<double>();
  KATA_ASSERT_OK(check_linear(rand_int(3, 300), b1, 0.01 + 0.2 * torch::rand({}, torch::kFloat64).item<double>()));
}

TEST(Ddpm, CosineBetas) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "The schedules are float64 [T] (torch::kFloat64).");
  kata_test::meaning(
      "Nichol & Dhariwal's schedule: f(u) = cos(((u / T + s) / (1 + s)) * pi / 2)^2 with s = 0.008, for u = 0 .. T "
      "(T + 1 values), betas[t] = 1 - f(t + 1) / f(t), then clipped to at most 0.999. Without the clip the last "
      "beta is 1 (f(T) is ~0: the last step destroys everything and 1 / sqrt(1 - beta) blows up); without the "
      "offset s the first betas are far too small; without the square the schedule is another curve.");
  KATA_ASSERT_OK(check_cosine(6));
  KATA_ASSERT_OK(check_cosine(1000));
  KATA_ASSERT_OK(check_cosine(1));
  KATA_ASSERT_OK(check_cosine(rand_int(2, 400)));
}

// ---- q_sample

// x0 and noise [B, ...] in `dtype`, t [B] in 0 .. T-1 with at least one 0 and one T-1 when B >= 2.
struct QCase {
  torch::Tensor x0, t, noise, alpha_bar;
};
QCase random_q(std::vector<int64_t> shape, torch::ScalarType dtype, const torch::Tensor& alpha_bar) {
  const int64_t T = alpha_bar.size(0), B = shape[0];
  auto t = torch::randint(0, T, {B}, torch::kInt64);
  if (B >= 2) {
    t[rand_int(0, B - 1)] = 0;
  }
  auto opts = torch::TensorOptions().dtype(dtype);
  return {torch::randn(shape, opts) * 2, t, torch::randn(shape, opts), alpha_bar};
}

std::string describe_q(const QCase& c, const std::string& note = "") {
  return fmt::format("{}{}, {}", note.empty() ? "" : note + ", ", describe_t(c.t),
                     kata_test::describe({{"x0", c.x0}, {"t", c.t}, {"noise", c.noise}, {"alpha_bar", c.alpha_bar}}));
}

std::optional<std::string> check_q(const QCase& c, const std::string& note = "", const QCase* same = nullptr) {
  const QCase& r = same ? *same : c;
  auto want = ref::q_sample(r.x0, r.t, r.noise, r.alpha_bar);
  return diff(kata::q_sample(c.x0, c.t, c.noise, c.alpha_bar), want, "q_sample", describe_q(c, note),
              tol_for(r.x0.scalar_type()));
}

// Crafted: alpha_bar = [0.81, 0.64, 0.25, 0.04] (square roots 0.9, 0.8, 0.5, 0.2; of 1 - alpha_bar: 0.43589,
// 0.6, 0.86603, 0.9798), one row of x0 and noise per timestep.
QCase crafted_q(torch::ScalarType dtype) {
  auto x0 = torch::tensor({1.0, 2.0, -1.0, 3.0, 0.5, -2.0, 4.0, 1.0}, torch::kFloat64).reshape({4, 2}).to(dtype);
  auto noise = torch::tensor({0.5, -1.0, 2.0, 1.0, -1.5, 0.25, 1.0, -2.0}, torch::kFloat64).reshape({4, 2}).to(dtype);
  return {x0, torch::tensor({2, 0, 3, 1}, torch::kInt64), noise, torch::tensor({0.81, 0.64, 0.25, 0.04}, torch::kFloat64)};
}

const char* kQMeaning =
    "x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise, with each batch element's own t (0-based: "
    "alpha_bar[t], not alpha_bar[t - 1]) and its two coefficients broadcast over the element's other dimensions "
    "(index alpha_bar with t, then reshape to [B, 1, ..., 1]). Both coefficients are square roots: "
    "sqrt(1 - alpha_bar) is the noise's standard deviation, 1 - alpha_bar its variance.";

TEST(Ddpm, QSampleFloat64) {
  kata_test::meaning(kQMeaning);
  KATA_ASSERT_OK(check_q(crafted_q(torch::kFloat64),
                         "crafted: alpha_bar [0.81, 0.64, 0.25, 0.04], x0 rows [1, 2] [-1, 3] [0.5, -2] [4, 1], noise "
                         "rows [0.5, -1] [2, 1] [-1.5, 0.25] [1, -2]"));
  auto ab = alpha_bar_of(betas20());
  for (auto shape : std::vector<std::vector<int64_t>>{{4, 3, 5, 6}, {6, 7}, {3, 2, 9}}) {
    KATA_ASSERT_OK(check_q(random_q(shape, torch::kFloat64, ab)));
  }
  auto cos_ab = alpha_bar_of(ref::cosine_betas(100));
  KATA_ASSERT_OK(check_q(random_q({8, 4, 4}, torch::kFloat64, cos_ab), "cosine schedule, T = 100"));
}

TEST(Ddpm, QSampleFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 x0 must give float32 x_t: alpha_bar is float64, and a float64 [B, 1, ..] tensor times "
                     "a float32 tensor is promoted to float64. Cast the coefficients to x0's dtype "
                     "(.to(x0.scalar_type())) before multiplying.");
  kata_test::meaning(kQMeaning);
  KATA_ASSERT_OK(check_q(crafted_q(torch::kFloat32), "crafted, as in QSampleFloat64"));
  auto ab = alpha_bar_of(betas20());
  for (auto shape : std::vector<std::vector<int64_t>>{{4, 3, 5, 6}, {6, 7}}) {
    KATA_ASSERT_OK(check_q(random_q(shape, torch::kFloat32, ab)));
  }
}

TEST(Ddpm, QSampleGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "x_t must stay connected to x0 and noise: tensor ops only, no .detach(), .item() or values "
                     "copied through data_ptr into a new tensor.");
  auto ab = alpha_bar_of(betas20());
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto c = random_q({5, 3, 4}, dtype, ab);
    auto weight = torch::randn_like(c.x0);
    auto run = [&](auto fn) {
      return [&, fn](const std::vector<torch::Tensor>& in) { return fn(in[0], c.t, in[1], ab); };
    };
    KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(run(kata::q_sample), {c.x0, c.noise}, weight),
                                            kata_test::run_backward(run(ref::q_sample), {c.x0, c.noise}, weight),
                                            {"x0", "noise"}, describe_q(c), tol_for(dtype)));
  }
}

// ---- ddpm_step

struct StepCase {
  torch::Tensor x_t, eps, z;
};
StepCase random_step(std::vector<int64_t> shape, torch::ScalarType dtype, bool zero_z = false) {
  auto opts = torch::TensorOptions().dtype(dtype);
  auto z = zero_z ? torch::zeros(shape, opts) : torch::randn(shape, opts);
  return {torch::randn(shape, opts) * 2, torch::randn(shape, opts), z};
}

std::string describe_ddpm(const StepCase& c, int64_t t, bool posterior, const std::string& schedule,
                          const std::string& note = "") {
  return fmt::format("{}t = {}, posterior_variance = {}, betas {}, {}", note.empty() ? "" : note + ", ", t, posterior,
                     schedule, kata_test::describe({{"x_t", c.x_t}, {"eps", c.eps}, {"z", c.z}}));
}

std::optional<std::string> check_ddpm(const StepCase& c, int64_t t, const torch::Tensor& betas, bool posterior,
                                      const std::string& schedule, const std::string& note = "",
                                      const StepCase* same = nullptr) {
  const StepCase& r = same ? *same : c;
  auto want = ref::ddpm_step(r.x_t, r.eps, t, betas, r.z, posterior);
  return diff(kata::ddpm_step(c.x_t, c.eps, t, betas, c.z, posterior), want, "ddpm_step",
              describe_ddpm(c, t, posterior, schedule, note), tol_for(r.x_t.scalar_type()));
}

const char* kLinear20 = "linear 0.01 .. 0.2, T = 20";

TEST(Ddpm, DdpmStepMean) {
  kata_test::meaning(
      "The posterior mean differs (z = 0 here, so only the mean counts): mean = (x_t - betas[t] / sqrt(1 - "
      "alpha_bar[t]) * eps) / sqrt(alpha_t), with alpha_t = 1 - betas[t] for the division and alpha_bar[t] = "
      "prod(1 - betas[0..t]) (the cumulative product, this step included) inside the square root of the noise "
      "coefficient. Swapping alpha_t and alpha_bar_t in either place, or taking alpha_bar one step behind, "
      "gives another mean.");
  auto betas = betas20();
  int64_t t = rand_int(3, kT - 1);
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64, true), t, betas, false, kLinear20, "z = 0"));
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64, true), rand_int(1, kT - 1), betas, true,
                            kLinear20, "z = 0"));
  KATA_ASSERT_OK(check_ddpm(random_step({6, 8}, torch::kFloat64, true), kT - 1, betas, false, kLinear20, "z = 0"));
  auto cos_betas = ref::cosine_betas(50);
  KATA_ASSERT_OK(check_ddpm(random_step({3, 2, 4, 4}, torch::kFloat64, true), rand_int(1, 40), cos_betas, false,
                            "cosine, T = 50", "z = 0"));
}

TEST(Ddpm, DdpmStepNoise) {
  kata_test::meaning(
      "The noise term differs (the mean is right): for t >= 1 add sigma * z with sigma = sqrt(betas[t]) when "
      "posterior_variance is false, and sigma = sqrt((1 - alpha_bar[t-1]) / (1 - alpha_bar[t]) * betas[t]) "
      "(the posterior beta tilde) when it is true. sigma is a standard deviation: the square root of the "
      "variance.");
  auto betas = betas20();
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64), rand_int(1, kT - 1), betas, false, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64), rand_int(1, kT - 1), betas, true, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({2, 6}, torch::kFloat64), 1, betas, true, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({2, 6}, torch::kFloat64), kT - 1, betas, false, kLinear20));
  auto cos_betas = ref::cosine_betas(50);
  KATA_ASSERT_OK(check_ddpm(random_step({3, 2, 4, 4}, torch::kFloat64), rand_int(1, 40), cos_betas, true,
                            "cosine, T = 50"));
}

TEST(Ddpm, DdpmStepAtZero) {
  kata_test::meaning(
      "At t = 0 (the last reverse step, x_0 from x_1 in the paper's 1-based steps) no noise is added: the result "
      "is the posterior mean alone, with either variance. With posterior_variance the posterior beta tilde is 0 "
      "there anyway, but sigma^2 = betas[0] is not: test t == 0 (t > 0 before adding sigma * z).");
  // Crafted: betas [0.19, 0.36, ...]: alpha_0 = alpha_bar_0 = 0.81, so mean = (x - sqrt(0.19) eps) / 0.9.
  auto betas = torch::tensor({0.19, 0.36, 0.5}, torch::kFloat64);
  auto x = torch::tensor({0.9, -1.8, 2.7}, torch::kFloat64).reshape({3, 1});
  StepCase c{x, torch::zeros({3, 1}, torch::kFloat64), torch::ones({3, 1}, torch::kFloat64)};
  KATA_ASSERT_OK(check_ddpm(c, 0, betas, false, "[0.19, 0.36, 0.5]",
                            "crafted: x_t [0.9, -1.8, 2.7], eps 0, z 1: expected [1, -2, 3], no noise"));
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64), 0, betas20(), false, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat64), 0, betas20(), true, kLinear20));
}

TEST(Ddpm, DdpmStepFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 x_t must give float32 x_{t-1}: betas is float64; cast the coefficients (or betas) to "
                     "x_t's dtype, or use them as C++ doubles (a double scalar keeps the tensor's dtype).");
  kata_test::meaning("The float32 step differs from the reference beyond float32 rounding; see DdpmStepMean and "
                     "DdpmStepNoise for the formula.");
  auto betas = betas20();
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat32), rand_int(1, kT - 1), betas, false, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({4, 3, 5}, torch::kFloat32), rand_int(1, kT - 1), betas, true, kLinear20));
  KATA_ASSERT_OK(check_ddpm(random_step({5, 7}, torch::kFloat32), 0, betas, false, kLinear20));
}

TEST(Ddpm, DdpmStepGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The result must stay connected to x_t, eps and z: tensor ops on them, the schedule values "
                     "may be plain doubles.");
  auto betas = betas20();
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (bool posterior : {false, true}) {
      auto c = random_step({3, 4, 5}, dtype);
      int64_t t = rand_int(1, kT - 1);
      auto weight = torch::randn_like(c.x_t);
      auto run = [&](auto fn) {
        return [&, fn](const std::vector<torch::Tensor>& in) { return fn(in[0], in[1], t, betas, in[2], posterior); };
      };
      KATA_ASSERT_OK(kata_test::backward_diff(
          kata_test::run_backward(run(kata::ddpm_step), {c.x_t, c.eps, c.z}, weight),
          kata_test::run_backward(run(ref::ddpm_step), {c.x_t, c.eps, c.z}, weight), {"x_t", "eps", "z"},
          describe_ddpm(c, t, posterior, kLinear20), tol_for(dtype)));
    }
  }
}

// ---- ddim_step

std::string describe_ddim(const StepCase& c, int64_t t, int64_t t_prev, const std::string& schedule,
                          const std::string& note = "") {
  return fmt::format("{}t = {}, t_prev = {}, alpha_bar of {}, {}", note.empty() ? "" : note + ", ", t, t_prev,
                     schedule, kata_test::describe({{"x_t", c.x_t}, {"eps", c.eps}}));
}

std::optional<std::string> check_ddim(const StepCase& c, int64_t t, int64_t t_prev, const torch::Tensor& ab,
                                      const std::string& schedule, const std::string& note = "",
                                      const StepCase* same = nullptr) {
  const StepCase& r = same ? *same : c;
  auto want = ref::ddim_step(r.x_t, r.eps, t, t_prev, ab);
  return diff(kata::ddim_step(c.x_t, c.eps, t, t_prev, ab), want, "ddim_step", describe_ddim(c, t, t_prev, schedule, note),
              tol_for(r.x_t.scalar_type()));
}

const char* kDdimMeaning =
    "DDIM (eta = 0) predicts x0 first, x0_pred = (x_t - sqrt(1 - alpha_bar[t]) * eps) / sqrt(alpha_bar[t]) (divided "
    "by sqrt(alpha_bar[t]), and not clipped to [-1, 1]), then moves it to t_prev with the same eps: "
    "sqrt(alpha_bar[t_prev]) * x0_pred + sqrt(1 - alpha_bar[t_prev]) * eps. Both coefficients of that second line "
    "use t_prev, not t.";

TEST(Ddpm, DdimStep) {
  kata_test::meaning(kDdimMeaning);
  auto ab = alpha_bar_of(betas20());
  int64_t t = rand_int(8, kT - 1);
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat64), t, rand_int(1, t - 3), ab, kLinear20));
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat64), t, t - 1, ab, kLinear20, "one step"));
  KATA_ASSERT_OK(check_ddim(random_step({6, 8}, torch::kFloat64), kT - 1, 0, ab, kLinear20, "to t_prev = 0"));
  auto cos_ab = alpha_bar_of(ref::cosine_betas(100));
  KATA_ASSERT_OK(check_ddim(random_step({2, 3, 4, 4}, torch::kFloat64), 80, 60, cos_ab, "cosine, T = 100"));
}

TEST(Ddpm, DdimStepToStart) {
  kata_test::meaning(
      "t_prev = -1 means 'before the first step': alpha_bar_prev = 1, so the result is x0_pred itself. Reading "
      "alpha_bar[-1] (the LAST entry, in PyTorch's indexing) or alpha_bar[0] instead is wrong: test t_prev < 0 "
      "first.");
  auto ab = alpha_bar_of(betas20());
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat64), rand_int(2, kT - 1), -1, ab, kLinear20));
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat64), 0, -1, ab, kLinear20));
}

TEST(Ddpm, DdimStepFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 x_t must give float32 out: alpha_bar is float64; use its values as C++ doubles or cast "
                     "them to x_t's dtype.");
  kata_test::meaning(kDdimMeaning);
  auto ab = alpha_bar_of(betas20());
  int64_t t = rand_int(5, kT - 1);
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat32), t, rand_int(0, t - 1), ab, kLinear20));
  KATA_ASSERT_OK(check_ddim(random_step({4, 3, 5}, torch::kFloat32), t, -1, ab, kLinear20));
}

TEST(Ddpm, DdimStepGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The result must stay connected to x_t and eps: tensor ops on them, the schedule values may be "
                     "plain doubles.");
  auto ab = alpha_bar_of(betas20());
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (int64_t t_prev : {int64_t{4}, int64_t{-1}}) {
      auto c = random_step({3, 4, 5}, dtype);
      int64_t t = rand_int(6, kT - 1);
      auto weight = torch::randn_like(c.x_t);
      auto run = [&](auto fn) {
        return [&, fn](const std::vector<torch::Tensor>& in) { return fn(in[0], in[1], t, t_prev, ab); };
      };
      KATA_ASSERT_OK(kata_test::backward_diff(kata_test::run_backward(run(kata::ddim_step), {c.x_t, c.eps}, weight),
                                              kata_test::run_backward(run(ref::ddim_step), {c.x_t, c.eps}, weight),
                                              {"x_t", "eps"}, describe_ddim(c, t, t_prev, kLinear20), tol_for(dtype)));
    }
  }
}

// ---- properties, edges, views, inputs

TEST(Ddpm, StepsInvertTheForwardProcess) {
  kata_test::meaning(
      "With the true noise the reverse steps undo the forward process: for x_t = q_sample(x0, t, eps), "
      "ddim_step(x_t, eps, t, t_prev) is q_sample(x0, t_prev, eps) (the same point at the earlier time), "
      "ddim_step(x_t, eps, t, -1) is x0, and ddpm_step at t = 0 with the true eps returns x0.");
  auto betas = betas20();
  auto ab = alpha_bar_of(betas);
  auto x0 = torch::randn({4, 3, 5}, torch::kFloat64);
  auto eps = torch::randn_like(x0);
  int64_t t = rand_int(5, kT - 1), t_prev = rand_int(0, t - 1);
  auto at = [&](int64_t s) { return torch::full({4}, s, torch::kInt64); };
  auto x_t = ref::q_sample(x0, at(t), eps, ab);
  std::string what_case = fmt::format("x0 {}, eps the noise x_t was made with, t = {}",
                                      kata_test::describe({{"x0", x0}}), t);
  KATA_ASSERT_OK(diff(kata::ddim_step(x_t, eps, t, t_prev, ab), ref::q_sample(x0, at(t_prev), eps, ab),
                      fmt::format("ddim_step(x_t, eps, t, t_prev = {}) vs. q_sample(x0, t_prev, eps)", t_prev), what_case));
  KATA_ASSERT_OK(diff(kata::ddim_step(x_t, eps, t, -1, ab), x0, "ddim_step(x_t, eps, t, -1) vs. x0", what_case));
  auto x_0 = ref::q_sample(x0, at(0), eps, ab);
  KATA_ASSERT_OK(diff(kata::ddpm_step(x_0, eps, 0, betas, torch::randn_like(x0), false), x0,
                      "ddpm_step(q_sample(x0, 0, eps), eps, t = 0) vs. x0", what_case));
}

TEST(Ddpm, EdgeShapes) {
  kata_test::meaning(
      "A batch of one, x with no dimension but the batch ([B]), single-element tensors, or a schedule of one step "
      "(T = 1: linear [beta_1], cosine [0.999], ddpm_step at t = 0, ddim_step from 0 to -1) breaks solutions that "
      "squeeze dimensions, hard-code 4-d images or divide by T - 1.");
  KATA_ASSERT_OK(check_linear(1, 0.3, 0.3));
  KATA_ASSERT_OK(check_cosine(1));
  auto ab = alpha_bar_of(betas20());
  KATA_ASSERT_OK(check_q(random_q({7}, torch::kFloat64, ab), "x is [B]"));
  KATA_ASSERT_OK(check_q(random_q({1, 1, 1, 1}, torch::kFloat64, ab)));
  KATA_ASSERT_OK(check_q(random_q({1, 5}, torch::kFloat32, ab)));
  auto one = torch::tensor({0.3}, torch::kFloat64);
  KATA_ASSERT_OK(check_ddpm(random_step({1}, torch::kFloat64), 0, one, false, "[0.3] (T = 1)"));
  KATA_ASSERT_OK(check_ddpm(random_step({5}, torch::kFloat64), 7, betas20(), true, kLinear20, "x is [B]"));
  KATA_ASSERT_OK(check_ddim(random_step({1}, torch::kFloat64), 0, -1, alpha_bar_of(one), "[0.3] (T = 1)"));
  KATA_ASSERT_OK(check_ddim(random_step({1, 1, 2}, torch::kFloat64), 12, 11, ab, kLinear20));
}

TEST(Ddpm, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: x stored transposed, noise sliced out of a wider tensor, t expanded from one "
      "value, alpha_bar or betas taken with a stride. .view() on a non-contiguous tensor or raw data_ptr indexing "
      "assume a memory layout; use reshape, index_select and tensor ops (or .contiguous() first).");
  auto betas = betas20();
  auto ab = alpha_bar_of(betas);
  // The schedules as every other entry of a [2T] tensor.
  auto strided = [](const torch::Tensor& s) { return torch::stack({s, torch::rand_like(s)}, 1).select(1, 0); };
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto c = random_q({4, 6, 5}, dtype, ab);
    auto wide = torch::randn({4, 6, 9}, torch::TensorOptions().dtype(dtype));
    wide.narrow(2, 2, 5).copy_(c.noise);
    QCase v{kata_test::non_contiguous(c.x0), kata_test::non_contiguous(c.t), wide.narrow(2, 2, 5), strided(ab)};
    KATA_ASSERT_OK(check_q(v, "x0 transposed, noise sliced, t and alpha_bar strided", &c));
    QCase e{c.x0, torch::full({1}, rand_int(0, kT - 1), torch::kInt64).expand({4}), c.noise, ab};
    KATA_ASSERT_OK(check_q(e, "t expanded from one value"));

    auto s = random_step({4, 6, 5}, dtype);
    StepCase sv{kata_test::non_contiguous(s.x_t), kata_test::non_contiguous(s.eps), kata_test::non_contiguous(s.z)};
    int64_t t = rand_int(1, kT - 1);
    KATA_ASSERT_OK(check_ddpm(sv, t, strided(betas), true, kLinear20, "x_t, eps, z transposed, betas strided", &s));
    KATA_ASSERT_OK(check_ddim(sv, t, rand_int(-1, t - 1), strided(ab), kLinear20,
                              "x_t, eps transposed, alpha_bar strided", &s));
  }
}

TEST(Ddpm, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op such as x_t.sub_, eps.mul_, or alpha_bar.sqrt_()): the "
      "sampling loop reuses them (the schedule for every step), so they must be left as they were.");
  auto betas = betas20();
  auto ab = alpha_bar_of(betas);
  auto c = random_q({3, 4, 5}, torch::kFloat64, ab);
  auto s = random_step({3, 4, 5}, torch::kFloat64);
  auto b0 = betas.clone(), ab0 = ab.clone(), x00 = c.x0.clone(), t0 = c.t.clone(), n0 = c.noise.clone();
  auto xt0 = s.x_t.clone(), e0 = s.eps.clone(), z0 = s.z.clone();
  const kata_test::Tolerance exact{0, 0};
  kata::q_sample(c.x0, c.t, c.noise, ab);
  std::string what = "after q_sample, " + describe_q(c);
  KATA_ASSERT_OK(diff(c.x0, x00, "x0", what, exact));
  KATA_ASSERT_OK(diff(c.t, t0, "t", what, exact));
  KATA_ASSERT_OK(diff(c.noise, n0, "noise", what, exact));
  KATA_ASSERT_OK(diff(ab, ab0, "alpha_bar", what, exact));
  kata::ddpm_step(s.x_t, s.eps, 5, betas, s.z, true);
  what = "after ddpm_step, " + describe_ddpm(s, 5, true, kLinear20);
  KATA_ASSERT_OK(diff(s.x_t, xt0, "x_t", what, exact));
  KATA_ASSERT_OK(diff(s.eps, e0, "eps", what, exact));
  KATA_ASSERT_OK(diff(s.z, z0, "z", what, exact));
  KATA_ASSERT_OK(diff(betas, b0, "betas", what, exact));
  kata::ddim_step(s.x_t, s.eps, 9, 3, ab);
  what = "after ddim_step, " + describe_ddim(s, 9, 3, kLinear20);
  KATA_ASSERT_OK(diff(s.x_t, xt0, "x_t", what, exact));
  KATA_ASSERT_OK(diff(s.eps, e0, "eps", what, exact));
  KATA_ASSERT_OK(diff(ab, ab0, "alpha_bar", what, exact));
}

}  // namespace

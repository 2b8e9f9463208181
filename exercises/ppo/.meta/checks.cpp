// Hidden tests for ppo: the learner's kata::gae and kata::ppo_loss against the reference. The crafted checks come
// first, each adding one rule, so that the first check a known mistake fails is the one about that rule:
//   Gae:     returns = A + V (lam 1, no episode ends), lam in the recursion (no episode ends), episode ends
//            (no bootstrap, recursion reset, the done flag of step t itself), then random rollouts.
//   PpoLoss: ratio 1 (policy = -mean(A): sign, normalisation, clipping A), ratios inside the clip range (exp of
//            the difference), every clip quadrant (min, not max), approx_kl, value, total, gradients, random.
// Tolerances: float64 uses the kit's 1e-10; float32 1e-5 relative and absolute. Measured (a /tmp program, 3000
// seeds, T 1..200, N 1..257, both dtypes): the two right styles in .meta/cases (a float64 scalar loop, a float64
// discount matrix) differ from the reference by at most 1.4e-6 * (1 + |ref|) in float32 GAE, 7.8e-8 in the float32
// loss, 1.8e-15 in float64: 7x and 1e5x inside the bounds, while every named mistake is off by > 1e-2.
#include "kata_test.h"

#include <fmt/format.h>

#include <cmath>

#include "ppo.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kExact{0, 0};
const kata_test::Tolerance kFloat32{1e-5, 1e-5};

kata_test::Tolerance tol_for(torch::ScalarType dtype) {
  return dtype == torch::kFloat64 ? kata_test::tolerance_for(dtype) : kFloat32;
}

std::string values_of(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat64).contiguous();
  std::vector<std::string> parts;
  for (int64_t i = 0; i < std::min<int64_t>(c.numel(), 10); ++i)
    parts.push_back(fmt::format("{:.4g}", c.data_ptr<double>()[i]));
  return fmt::format("[{}{}]", fmt::join(parts, ", "), c.numel() > 10 ? ", ..." : "");
}

// ---------------------------------------------------------------- GAE

struct Rollout {
  torch::Tensor rewards, values, dones;
  double gamma, lam;
};

Rollout random_rollout(int64_t T, torch::ScalarType dtype, double done_rate, double gamma, double lam) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto dones = (torch::rand({T}, opts) < done_rate).to(torch::kFloat64);
  return {torch::randn({T}, opts).to(dtype), torch::randn({T + 1}, opts).to(dtype), dones.to(dtype), gamma, lam};
}

std::string describe_rollout(const Rollout& r, const std::string& note = "") {
  std::string s = fmt::format("gamma {}, lam {}", r.gamma, r.lam);
  if (r.dones.numel() <= 12) s += ", dones " + values_of(r.dones);
  if (!note.empty()) s += ", " + note;
  return s + ", " + kata_test::describe({{"rewards", r.rewards}, {"values", r.values}, {"dones", r.dones}});
}

// The learner's GAE on `r` against the reference's on `same` (equal values; `r` may hold views). The reference
// runs first, on copies, so a learner that writes into its inputs cannot change what it is compared with.
std::optional<std::string> check_gae(const Rollout& r, const Rollout& same, const std::string& note = "") {
  auto want = reference::kata::gae(same.rewards.clone(), same.values.clone(), same.dones.clone(), same.gamma, same.lam);
  auto got = kata::gae(r.rewards, r.values, r.dones, r.gamma, r.lam);
  const auto desc = describe_rollout(r, note);
  const auto tol = tol_for(same.rewards.scalar_type());
  if (auto e = diff(got.advantages, want.advantages, "advantages", desc, tol)) return e;
  return diff(got.returns, want.returns, "returns", desc, tol);
}
std::optional<std::string> check_gae(const Rollout& r, const std::string& note = "") { return check_gae(r, r, note); }

TEST(Gae, ReturnsAreAdvantagesPlusValues) {
  kata_test::meaning(
      "With lam = 1 and no episode end, GAE is the discounted sum of TD errors, A[t] = sum_k gamma^k r[t+k] + "
      "gamma^(T-t) values[T] - values[t], and returns = A + values[:T]: the rewards-to-go bootstrapped from "
      "values[T]. Returns that are discounted rewards alone (no values, no bootstrap) are not the critic's "
      "targets the contract asks for; returns[t] = advantages[t] + values[t].");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (int64_t T : {5, 9}) {
      auto r = random_rollout(T, dtype, 0.0, 0.9, 1.0);
      KATA_ASSERT_OK(check_gae(r, "no episode ends"));
    }
  }
}

TEST(Gae, LambdaInTheRecursion) {
  kata_test::meaning(
      "lam weighs the recursion: A[t] = delta[t] + gamma * lam * A[t+1]. lam = 0 gives the one-step TD error "
      "(A = delta), lam = 1 the Monte-Carlo advantage; a recursion with gamma alone is GAE at lam = 1 whatever "
      "lam is.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (double lam : {0.0, 0.6, 0.95}) {
      auto r = random_rollout(7, dtype, 0.0, 0.9, lam);
      KATA_ASSERT_OK(check_gae(r, "no episode ends"));
    }
  }
}

TEST(Gae, EpisodeEnds) {
  kata_test::meaning(
      "dones[t] = 1 means the episode ended after step t: s_{t+1} is the first state of another episode. So at "
      "that step (1) no bootstrap: delta[t] = rewards[t] - values[t], values[t+1] belongs to the next episode, and "
      "(2) the recursion resets: A[t] = delta[t], nothing flows back from A[t+1]. Both use not_done[t] = "
      "1 - dones[t], the flag of step t itself (not dones[t+1], which is the convention where dones marks the "
      "first step of an episode).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Episodes end after steps 1, 4 and 7 (the last): steps 0-1, 2-4, 5-7 are three episodes.
    auto r = random_rollout(8, dtype, 0.0, 0.9, 0.8);
    r.dones = torch::tensor({0., 1., 0., 0., 1., 0., 0., 1.}, torch::kFloat64).to(dtype);
    KATA_ASSERT_OK(check_gae(r, "three episodes, the last ends at the last step"));
    // The rollout stops mid-episode: the last step bootstraps from values[T].
    auto s = random_rollout(6, dtype, 0.0, 0.95, 0.9);
    s.dones = torch::tensor({0., 0., 1., 0., 0., 0.}, torch::kFloat64).to(dtype);
    KATA_ASSERT_OK(check_gae(s, "an episode ends after step 2, the next is cut by the rollout's end"));
  }
}

TEST(Gae, OutputFloat64) {
  kata_test::meaning(
      "The advantages or returns differ on random rollouts (float64): delta[t] = r[t] + gamma * (1 - d[t]) * "
      "V[t+1] - V[t], A[t] = delta[t] + gamma * lam * (1 - d[t]) * A[t+1] from A[T] = 0, returns = A + V[:T].");
  for (int64_t T : {1, 4, 16, 64, 200}) {
    auto gamma = 0.9 + 0.09 * torch::rand({}, torch::kFloat64).item<double>();
    auto lam = 0.8 + 0.19 * torch::rand({}, torch::kFloat64).item<double>();
    KATA_ASSERT_OK(check_gae(random_rollout(T, torch::kFloat64, 0.2, gamma, lam)));
  }
}

TEST(Gae, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 inputs give float32 outputs: if you compute in float64, cast back with .to(rewards's "
                     "dtype); torch::zeros without options is float32 but torch::tensor of doubles is float64.");
  kata_test::meaning("The advantages or returns differ on float32 rollouts: the same formulas as in float64.");
  for (int64_t T : {1, 6, 32, 64}) {
    KATA_ASSERT_OK(check_gae(random_rollout(T, torch::kFloat32, 0.2, 0.97, 0.92)));
  }
}

TEST(Gae, EdgeCases) {
  kata_test::meaning(
      "A rollout of one step, an episode end at every step, gamma = 0 (A = r - V), lam = 1 with gamma = 1, or "
      "zero rewards breaks solutions that index values[T] wrongly, start the recursion from values[T] instead "
      "of 0, or special-case the first or last step.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (double d : {0.0, 1.0}) {
      auto r = random_rollout(1, dtype, 0.0, 0.9, 0.95);
      r.dones.fill_(d);
      KATA_ASSERT_OK(check_gae(r, "T = 1"));
    }
    auto all = random_rollout(5, dtype, 0.0, 0.99, 0.95);
    all.dones.fill_(1.0);
    KATA_ASSERT_OK(check_gae(all, "every step ends an episode"));
    KATA_ASSERT_OK(check_gae(random_rollout(6, dtype, 0.3, 0.0, 0.9), "gamma 0"));
    KATA_ASSERT_OK(check_gae(random_rollout(6, dtype, 0.3, 1.0, 1.0), "gamma 1, lam 1"));
    auto zero = random_rollout(4, dtype, 0.0, 0.9, 0.9);
    zero.rewards.zero_();
    KATA_ASSERT_OK(check_gae(zero, "zero rewards"));
  }
}

TEST(Gae, NoGradient) {
  kata_test::meaning(
      "The advantages and returns are targets: they must not carry the critic's graph. With values requiring "
      "grad (as the critic's output does), your outputs require grad too, so a policy loss built on these "
      "advantages would push gradients into the critic. Compute them under torch::NoGradGuard, or from "
      "values.detach().");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto r = random_rollout(6, dtype, 0.3, 0.99, 0.95);
    auto want = reference::kata::gae(r.rewards, r.values, r.dones, r.gamma, r.lam);
    auto values = r.values.clone().requires_grad_(true);
    auto got = kata::gae(r.rewards, values, r.dones, r.gamma, r.lam);
    const auto desc = describe_rollout(r, "values requires grad");
    KATA_ASSERT_OK(diff(got.advantages, want.advantages, "advantages", desc, tol_for(dtype)));
    KATA_ASSERT_OK(diff(got.returns, want.returns, "returns", desc, tol_for(dtype)));
    KATA_ASSERT_OK(kata_test::property(
        !got.advantages.requires_grad() && !got.returns.requires_grad(), "advantages and returns carry no graph",
        fmt::format("advantages.requires_grad() = {}, returns.requires_grad() = {} when values requires grad; "
                    "expected both false\ncase: {}",
                    got.advantages.requires_grad(), got.returns.requires_grad(), desc)));
  }
}

TEST(Gae, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: rewards, values or dones with a stride (a column of a [T, envs] buffer). "
      ".view(), data_ptr or accessor indexing that assume a layout break; use tensor ops or .contiguous().");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto r = random_rollout(9, dtype, 0.3, 0.97, 0.9);
    // Column 1 of a [T, 3] buffer, the way a vectorised environment stores rollouts.
    auto column = [](const torch::Tensor& t) {
      auto buf = torch::randn({t.size(0), 3}, t.options());
      buf.select(1, 1).copy_(t);
      return buf.select(1, 1);
    };
    Rollout view{column(r.rewards), column(r.values), column(r.dones), r.gamma, r.lam};
    KATA_ASSERT_OK(check_gae(view, r, "column 1 of [T, 3] buffers"));
    Rollout nc{kata_test::non_contiguous(r.rewards), kata_test::non_contiguous(r.values),
               kata_test::non_contiguous(r.dones), r.gamma, r.lam};
    KATA_ASSERT_OK(check_gae(nc, r, "strided views"));
  }
}

TEST(Gae, InputsUnchanged) {
  kata_test::meaning(
      "gae wrote into its inputs (an in-place op such as values.mul_, rewards.add_ or dones.sub_): they belong to "
      "the rollout buffer and are reused, so leave them as they were.");
  auto r = random_rollout(8, torch::kFloat64, 0.3, 0.99, 0.95);
  auto r0 = r.rewards.clone(), v0 = r.values.clone(), d0 = r.dones.clone();
  kata::gae(r.rewards, r.values, r.dones, r.gamma, r.lam);
  const auto desc = describe_rollout({r0, v0, d0, r.gamma, r.lam});
  KATA_ASSERT_OK(diff(r.rewards, r0, "rewards after gae", desc, kExact));
  KATA_ASSERT_OK(diff(r.values, v0, "values after gae", desc, kExact));
  KATA_ASSERT_OK(diff(r.dones, d0, "dones after gae", desc, kExact));
}

// ---------------------------------------------------------------- PPO loss

struct Batch {
  torch::Tensor logp_new, logp_old, advantages, values_new, returns, entropy;
  double clip_eps = 0.2, vf_coef = 0.5, ent_coef = 0.01;
};

// Random minibatch: ratios exp(N(0, 0.3)) (about half outside [0.8, 1.2]), advantages of both signs.
Batch random_batch(int64_t N, torch::ScalarType dtype) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto logp_old = -(torch::rand({N}, opts) * 3 + 0.1);
  Batch b;
  b.logp_old = logp_old.to(dtype);
  b.logp_new = (logp_old + torch::randn({N}, opts) * 0.3).to(dtype);
  b.advantages = torch::randn({N}, opts).to(dtype);
  b.values_new = torch::randn({N}, opts).to(dtype);
  b.returns = torch::randn({N}, opts).to(dtype);
  b.entropy = (torch::rand({N}, opts) * 2).to(dtype);
  return b;
}

std::string describe_batch(const Batch& b, const std::string& note = "") {
  std::string s = fmt::format("clip_eps {}, vf_coef {}, ent_coef {}", b.clip_eps, b.vf_coef, b.ent_coef);
  if (b.logp_new.numel() <= 8) {
    s += ", ratio " + values_of((b.logp_new.to(torch::kFloat64) - b.logp_old.to(torch::kFloat64)).exp());
    s += ", advantages " + values_of(b.advantages);
  }
  if (!note.empty()) s += ", " + note;
  return s + ", " + kata_test::describe({{"logp_new", b.logp_new},
                                         {"logp_old", b.logp_old},
                                         {"advantages", b.advantages},
                                         {"values_new", b.values_new},
                                         {"returns", b.returns},
                                         {"entropy", b.entropy}});
}

Batch copy_of(const Batch& b) {
  Batch c = b;
  for (auto* t : {&c.logp_new, &c.logp_old, &c.advantages, &c.values_new, &c.returns, &c.entropy}) *t = t->clone();
  return c;
}

reference::kata::PpoLoss reference_loss(const Batch& b) {
  auto c = copy_of(b);
  return reference::kata::ppo_loss(c.logp_new, c.logp_old, c.advantages, c.values_new, c.returns, c.entropy,
                                   c.clip_eps, c.vf_coef, c.ent_coef);
}

kata::PpoLoss learner_loss(const Batch& b) {
  return kata::ppo_loss(b.logp_new, b.logp_old, b.advantages, b.values_new, b.returns, b.entropy, b.clip_eps,
                        b.vf_coef, b.ent_coef);
}

enum Part { kTotal = 1, kPolicy = 2, kValue = 4, kEntropy = 8, kKl = 16, kAll = 31 };

// Compares the parts in `parts` of the learner's loss on `b` with the reference's on `same`.
std::optional<std::string> check_loss(const Batch& b, const Batch& same, int parts, const std::string& note = "") {
  auto want = reference_loss(same);
  auto got = learner_loss(b);
  const auto desc = describe_batch(b, note);
  const auto tol = tol_for(same.logp_new.scalar_type());
  const std::vector<std::tuple<int, const char*, torch::Tensor, torch::Tensor>> all = {
      {kPolicy, "policy", got.policy, want.policy},     {kValue, "value", got.value, want.value},
      {kEntropy, "entropy", got.entropy, want.entropy}, {kKl, "approx_kl", got.approx_kl, want.approx_kl},
      {kTotal, "total", got.total, want.total}};
  for (const auto& [bit, name, g, w] : all) {
    if (!(parts & bit)) continue;
    if (auto e = diff(g.defined() ? g.detach() : g, w, name, desc, tol)) return e;
  }
  return std::nullopt;
}
std::optional<std::string> check_loss(const Batch& b, int parts, const std::string& note = "") {
  return check_loss(b, b, parts, note);
}

// logp_old of N samples, and advantages with a mean far from 0: some above 1 + clip_eps, some negative.
Batch crafted_batch(torch::ScalarType dtype, const std::vector<double>& ratios) {
  const auto N = static_cast<int64_t>(ratios.size());
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto logp_old = -(torch::rand({N}, opts) * 2 + 0.2);
  Batch b = random_batch(N, dtype);
  b.logp_old = logp_old.to(dtype);
  b.logp_new = (logp_old + torch::tensor(ratios, opts).log()).to(dtype);
  return b;
}

TEST(PpoLoss, PolicyAtRatioOne) {
  kata_test::meaning(
      "With logp_new == logp_old every ratio is exactly 1 and the clip is inactive, so policy = -mean(A): a "
      "loss to MINIMISE, so the surrogate objective comes with a minus sign. The advantages are used as given "
      "(normalising them is the caller's job: inside the loss it changes the objective), and clip_eps clips the "
      "ratio, never the advantage (clamp(A, 1 - eps, 1 + eps) changes every A outside that range).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = random_batch(6, dtype);
    b.logp_new = b.logp_old.clone();
    auto scale = 0.8 + 0.4 * torch::rand({}, torch::kFloat64).item<double>();
    b.advantages = (torch::tensor({2.5, -1.2, 0.7, 1.8, -0.4, 3.1}, torch::kFloat64) * scale).to(dtype);
    KATA_ASSERT_OK(check_loss(b, kPolicy, "logp_new == logp_old (ratio 1)"));
  }
}

TEST(PpoLoss, RatioFromLogProbs) {
  kata_test::meaning(
      "The probability ratio is pi_new / pi_old = exp(logp_new - logp_old): the inputs are LOG-probabilities, so "
      "logp_new / logp_old is not the ratio (it is near 1 only by accident, and its gradient is wrong). Here every "
      "ratio lies inside [1 - clip_eps, 1 + clip_eps], so policy = -mean(ratio * A).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = crafted_batch(dtype, {0.85, 1.1, 0.95, 1.15, 0.9, 1.05});
    KATA_ASSERT_OK(check_loss(b, kPolicy, "every ratio inside the clip range"));
  }
}

TEST(PpoLoss, ClippedSurrogate) {
  kata_test::meaning(
      "PPO takes the pessimistic bound: min(ratio * A, clamp(ratio, 1 - eps, 1 + eps) * A), then the mean and a "
      "minus sign. For A > 0 a ratio above 1 + eps is capped (no credit for moving further), for A < 0 a ratio "
      "below 1 - eps is; a ratio outside on the other side is NOT clipped (the unclipped term is smaller and "
      "keeps its gradient). max instead of min is optimistic and removes the trust region.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // Ratios in every region: below 1 - eps, inside, above 1 + eps, each with A > 0 and A < 0.
    Batch b = crafted_batch(dtype, {0.5, 0.7, 1.0, 1.1, 1.3, 1.6, 0.6, 1.4});
    b.advantages =
        (torch::tensor({1.5, -0.8, 0.9, -1.1, 2.0, -0.6, -1.7, 1.2}, torch::kFloat64) *
         (0.8 + 0.4 * torch::rand({8}, torch::kFloat64)))
            .to(dtype);
    KATA_ASSERT_OK(check_loss(b, kPolicy, "ratios on both sides of the clip range, advantages of both signs"));
    b.clip_eps = 0.1;
    KATA_ASSERT_OK(check_loss(b, kPolicy, "clip_eps 0.1"));
  }
}

TEST(PpoLoss, ApproxKl) {
  kata_test::meaning(
      "approx_kl is the k3 estimator of KL(pi_old || pi_new) from samples of pi_old: mean((ratio - 1) - "
      "log(ratio)), with log(ratio) = logp_new - logp_old. It is >= 0 per sample and 0 only at ratio 1. "
      "mean(logp_old - logp_new) (k1) has the same expectation but is another number, and can be negative.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = crafted_batch(dtype, {0.5, 0.9, 1.0, 1.2, 1.7, 0.75});
    KATA_ASSERT_OK(check_loss(b, kKl, "ratios from 0.5 to 1.7"));
  }
}

TEST(PpoLoss, ValueLoss) {
  kata_test::meaning(
      "value = mean((values_new - returns)^2): the plain mean squared error, no 0.5 factor (the contract fixes "
      "it; vf_coef carries the weight) and no value clipping.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = random_batch(7, dtype);
    KATA_ASSERT_OK(check_loss(b, kValue | kEntropy, "random values and returns"));
  }
}

TEST(PpoLoss, Total) {
  kata_test::meaning(
      "total = policy + vf_coef * value - ent_coef * entropy: the entropy is a BONUS (higher entropy, more "
      "exploration), so it is subtracted from the loss being minimised; adding it drives the policy to collapse.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = random_batch(8, dtype);
    b.vf_coef = 0.5;
    b.ent_coef = 0.1;
    KATA_ASSERT_OK(check_loss(b, kAll, "random minibatch"));
    b.vf_coef = 1.0;
    b.ent_coef = 0.0;
    KATA_ASSERT_OK(check_loss(b, kAll, "ent_coef 0"));
  }
}

// Backpropagates a random weighting of total, policy, value and entropy into logp_new, values_new, entropy.
std::optional<std::string> check_gradients(const Batch& b, const std::string& note = "") {
  auto weight = torch::rand({4}, b.logp_new.options()) + 0.5;
  auto f = [&](auto loss) {
    return [&b, loss](const std::vector<torch::Tensor>& x) {
      auto l = loss(x[0], b.logp_old, b.advantages, x[1], b.returns, x[2], b.clip_eps, b.vf_coef, b.ent_coef);
      return torch::stack({l.total, l.policy, l.value, l.entropy});
    };
  };
  const std::vector<torch::Tensor> leaves = {b.logp_new, b.values_new, b.entropy};
  auto want = kata_test::run_backward(f([](auto&&... a) { return reference::kata::ppo_loss(a...); }), leaves, weight);
  auto got = kata_test::run_backward(f([](auto&&... a) { return kata::ppo_loss(a...); }), leaves, weight);
  return kata_test::backward_diff(got, want, {"logp_new", "values_new", "entropy"}, describe_batch(b, note),
                                  tol_for(b.logp_new.scalar_type()));
}

TEST(PpoLoss, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "A part is cut from the graph: .item(), a double, torch::tensor(value) or .detach() on the way "
                     "from logp_new, values_new or entropy to the loss stops the gradient.");
  kata_test::meaning(
      "The gradients of total, policy, value and entropy w.r.t. logp_new, values_new and entropy differ. d policy / "
      "d logp_new is -ratio * A / N where the unclipped term is the smaller one and 0 where the clipped one is "
      "(clamp's gradient is 0 outside the range); d value / d values_new = 2 (v - R) / N; d entropy / d entropy = "
      "1 / N.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_gradients(crafted_batch(dtype, {0.5, 0.7, 1.0, 1.1, 1.3, 1.6, 0.6, 1.4}), "crafted ratios"));
    for (int64_t N : {1, 5, 64}) KATA_ASSERT_OK(check_gradients(random_batch(N, dtype)));
  }
}

TEST(PpoLoss, OutputFloat64) {
  kata_test::meaning(
      "A part of the loss differs on random minibatches (float64). ratio = exp(logp_new - logp_old); policy = "
      "-mean(min(ratio * A, clamp(ratio, 1 - eps, 1 + eps) * A)); value = mean((v - R)^2); entropy = mean(entropy); "
      "approx_kl = mean(ratio - 1 - log ratio); total = policy + vf_coef * value - ent_coef * entropy.");
  for (int64_t N : {1, 3, 32, 257}) {
    Batch b = random_batch(N, torch::kFloat64);
    b.clip_eps = 0.1 + 0.2 * torch::rand({}, torch::kFloat64).item<double>();
    b.vf_coef = 0.25 + torch::rand({}, torch::kFloat64).item<double>();
    b.ent_coef = 0.1 * torch::rand({}, torch::kFloat64).item<double>();
    KATA_ASSERT_OK(check_loss(b, kAll));
  }
}

TEST(PpoLoss, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 inputs give float32 parts (0-dim tensors): a part computed from a double or "
                     "torch::tensor(...) is float64; keep every part a tensor op on the inputs.");
  kata_test::meaning("A part of the loss differs on float32 minibatches: the same formulas as in float64.");
  for (int64_t N : {1, 8, 64}) KATA_ASSERT_OK(check_loss(random_batch(N, torch::kFloat32), kAll));
}

TEST(PpoLoss, EdgeCases) {
  kata_test::meaning(
      "One sample, all advantages of one sign, every ratio clipped, a tiny clip_eps, or both coefficients 0 "
      "break solutions that index [0], mix up which side is clipped, or fold the coefficients in the wrong way.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_loss(random_batch(1, dtype), kAll, "N = 1"));
    Batch pos = crafted_batch(dtype, {1.5, 1.8, 2.5});
    pos.advantages = pos.advantages.abs() + 0.1;
    KATA_ASSERT_OK(check_loss(pos, kAll, "every ratio above 1 + eps, every A > 0"));
    Batch neg = crafted_batch(dtype, {0.3, 0.5, 0.6});
    neg.advantages = -(neg.advantages.abs() + 0.1);
    KATA_ASSERT_OK(check_loss(neg, kAll, "every ratio below 1 - eps, every A < 0"));
    Batch tiny = random_batch(6, dtype);
    tiny.clip_eps = 1e-3;
    KATA_ASSERT_OK(check_loss(tiny, kAll, "clip_eps 0.001"));
    Batch zero = random_batch(5, dtype);
    zero.vf_coef = 0.0;
    zero.ent_coef = 0.0;
    KATA_ASSERT_OK(check_loss(zero, kAll, "vf_coef 0, ent_coef 0"));
  }
}

TEST(PpoLoss, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: inputs with a stride (a column of a [N, k] buffer, or an expanded "
      "advantage). .view() or data_ptr indexing assume a layout; use tensor ops or .contiguous().");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Batch b = random_batch(7, dtype);
    Batch v = b;
    for (auto* t : {&v.logp_new, &v.logp_old, &v.advantages, &v.values_new, &v.returns, &v.entropy})
      *t = kata_test::non_contiguous(*t);
    KATA_ASSERT_OK(check_loss(v, b, kAll, "strided views"));
    // One advantage for the whole batch, expanded (stride 0).
    Batch e = random_batch(7, dtype);
    e.advantages = torch::full({1}, 0.7, e.logp_new.options()).expand({7});
    Batch same = e;
    same.advantages = e.advantages.contiguous();
    KATA_ASSERT_OK(check_loss(e, same, kAll, "advantages expanded from [1]"));
    KATA_ASSERT_OK(check_gradients(v, "strided views"));
  }
}

TEST(PpoLoss, InputsUnchanged) {
  kata_test::meaning(
      "ppo_loss wrote into its inputs (advantages normalised in place with sub_/div_, a clamp_ on a ratio that "
      "shares storage, ...): the rollout buffer reuses them over several epochs, so leave them as they were.");
  Batch b = random_batch(9, torch::kFloat64);
  Batch b0 = copy_of(b);
  learner_loss(b);
  const auto desc = describe_batch(b0);
  KATA_ASSERT_OK(diff(b.logp_new, b0.logp_new, "logp_new after ppo_loss", desc, kExact));
  KATA_ASSERT_OK(diff(b.logp_old, b0.logp_old, "logp_old after ppo_loss", desc, kExact));
  KATA_ASSERT_OK(diff(b.advantages, b0.advantages, "advantages after ppo_loss", desc, kExact));
  KATA_ASSERT_OK(diff(b.values_new, b0.values_new, "values_new after ppo_loss", desc, kExact));
  KATA_ASSERT_OK(diff(b.returns, b0.returns, "returns after ppo_loss", desc, kExact));
  KATA_ASSERT_OK(diff(b.entropy, b0.entropy, "entropy after ppo_loss", desc, kExact));
}

}  // namespace

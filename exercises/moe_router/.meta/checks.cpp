// Hidden tests for moe_router: the learner's kata::router_topk, kata::moe_forward and kata::load_balancing_loss
// against the reference, each function on its own so that each known mistake fails its own check first.
// Random inputs are drawn in float64 and redrawn, row by row, until every token's E router logits are at least
// 1e-3 apart and every expert's hidden pre-activation on every token is at least 1e-4 from 0: then rounding
// (float32, or another order of the sums) can neither swap two experts nor flip a ReLU, and the selection and
// the gradients are the same for every right solution. Exact ties are only in the crafted checks, built from
// small dyadic numbers that every dtype and every order of the sums computes exactly.
#include "kata_test.h"

#include <fmt/format.h>

#include "moe_router.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
using kata_test::property;
using kata_test::Tolerance;
const Tolerance kExact{0, 0};

// Tolerances: the defaults of kata_test::tolerance_for. Measured (a /tmp program, 20 seeds, the forward configs
// below plus N 300) between the reference and the two right styles of cases/ (dense einsum, token loop):
// float64 outputs and gradients differ by at most 2.8e-14, 6e-5 of the 1e-10 tolerance; float32 differences are
// at most 0.3 of the float32 tolerance (atol 1e-5, rtol 1.3e-6) on everything checked in float32 (outputs up
// to N 300, gradients up to N 64), and 0.54 on the gradients at N 300 (w_gate's, a sum over 300 tokens), which
// is why the float32 gradient configs stay small.

struct Sizes {
  int64_t N, D, E, H, k;
};

std::string describe_sizes(const Sizes& s) {
  return fmt::format("N {}, D {}, E {}, H {}, k {}", s.N, s.D, s.E, s.H, s.k);
}
// The router has no hidden width.
std::string describe_router(const Sizes& s) { return fmt::format("N {}, D {}, E {}, k {}", s.N, s.D, s.E, s.k); }

struct Inputs {
  torch::Tensor x, w_gate, w1, b1, w2, b2;
  Inputs to(torch::ScalarType dtype) const {
    return {x.to(dtype), w_gate.to(dtype), w1.to(dtype), b1.to(dtype), w2.to(dtype), b2.to(dtype)};
  }
  std::vector<torch::Tensor> all() const { return {x, w_gate, w1, b1, w2, b2}; }
};
const std::vector<std::string> kNames = {"x", "w_gate", "w1", "b1", "w2", "b2"};

std::string describe_inputs(const Inputs& in, int64_t k, const std::string& note = "") {
  return fmt::format("k {}{}, {}", k, note.empty() ? "" : ", " + note,
                     kata_test::describe({{"x", in.x},
                                          {"w_gate", in.w_gate},
                                          {"w1", in.w1},
                                          {"b1", in.b1},
                                          {"w2", in.w2},
                                          {"b2", in.b2}}));
}

// Rows of x whose logits come closer than 1e-3 or whose pre-activations come closer to 0 than 1e-4.
torch::Tensor unsafe_rows(const Inputs& in) {
  auto logits = in.x.matmul(in.w_gate);                                   // (N, E)
  auto sorted = std::get<0>(logits.sort(/*dim=*/-1, /*descending=*/true));
  auto close = logits.size(1) > 1 ? (sorted.narrow(1, 0, logits.size(1) - 1) - sorted.narrow(1, 1, logits.size(1) - 1))
                                        .lt(1e-3)
                                        .any(1)
                                  : torch::zeros({logits.size(0)}, torch::kBool);
  auto pre = in.x.matmul(in.w1) + in.b1.unsqueeze(1);  // (E, N, H)
  auto kink = pre.abs().lt(1e-4).any(/*dim=*/-1).any(/*dim=*/0);  // (N,)
  return close | kink;
}

// Random float64 inputs, logits ~ N(0, 1) per token. `unused_last` draws x in [0.1, 1.1) and makes w_gate's
// last column <= -2, so the last expert's logit is far below every other and no top k < E ever chooses it.
Inputs random_inputs(const Sizes& s, bool unused_last = false) {
  auto draw_x = [&](int64_t n) {
    return unused_last ? torch::rand({n, s.D}, torch::kFloat64) + 0.1 : torch::randn({n, s.D}, torch::kFloat64);
  };
  Inputs in{draw_x(s.N),
            torch::randn({s.D, s.E}, torch::kFloat64) / std::sqrt(static_cast<double>(s.D)),
            torch::randn({s.E, s.D, s.H}, torch::kFloat64) / std::sqrt(static_cast<double>(s.D)),
            torch::randn({s.E, s.H}, torch::kFloat64) * 0.3,
            torch::randn({s.E, s.H, s.D}, torch::kFloat64) / std::sqrt(static_cast<double>(s.H)),
            torch::randn({s.E, s.D}, torch::kFloat64) * 0.3};
  if (unused_last) in.w_gate.select(1, s.E - 1).copy_(-(torch::rand({s.D}, torch::kFloat64) + 2.0));
  for (int tries = 0; tries < 100; ++tries) {
    auto bad = unsafe_rows(in);
    if (!bad.any().item<bool>()) break;
    in.x = torch::where(bad.unsqueeze(1), draw_x(s.N), in.x);
  }
  return in;
}

// ---- router_topk

std::optional<std::string> check_router(const Inputs& in, int64_t k, const std::string& note = "",
                                        const Inputs& same = {}) {
  const Inputs& r = same.x.defined() ? same : in;
  auto [want_w, want_e] = reference::kata::router_topk(r.x, r.w_gate, k);
  auto [got_w, got_e] = kata::router_topk(in.x, in.w_gate, k);
  const std::string c = fmt::format("router_topk(x, w_gate, k = {}){}, {}", k, note.empty() ? "" : ", " + note,
                                    kata_test::describe({{"x", in.x}, {"w_gate", in.w_gate}}));
  if (auto e = diff(got_e, want_e, "experts", c, kExact)) return e;
  return diff(got_w, want_w, "weights", c);
}

const std::vector<Sizes> kRouterSizes = {{64, 12, 8, 1, 2}, {40, 6, 4, 1, 1}, {100, 16, 6, 1, 2}, {300, 8, 8, 1, 2},
                                         {30, 5, 5, 1, 3}};

void router_values(torch::ScalarType dtype) {
  for (const auto& s : kRouterSizes) {
    auto in = random_inputs(s).to(dtype);
    KATA_ASSERT_OK(check_router(in, s.k, describe_router(s)));
  }
}

TEST(MoeRouter, RouterFloat64) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "router_topk returns weights in x's dtype and experts as int64 (sort and topk indices are "
                     "int64 already).");
  kata_test::meaning(
      "router_topk differs. logits = x.matmul(w_gate) [N, E]; experts = the k largest logits of each row, "
      "column 0 the largest (logit descending, ties to the lower index); weights = softmax over those k logits "
      "only, so each row sums to 1. The softmax over all E experts gathered at the top k is not renormalised "
      "(each row sums to less than 1): renormalise, or take the softmax of the k selected logits.");
  router_values(torch::kFloat64);
}

TEST(MoeRouter, RouterFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "weights keep x's dtype (float32 here), experts are int64.");
  kata_test::meaning("router_topk differs on float32 inputs: the same steps as in float64.");
  router_values(torch::kFloat32);
}

// Logits [N, E] made exactly by x w_gate: w_gate is a permutation matrix (0s and 1s), x the logits with their
// columns moved to where the permutation reads them, plus a shift per row in quarters (exact in float32).
Inputs from_logits(const torch::Tensor& logits64, torch::ScalarType dtype) {
  const int64_t N = logits64.size(0), E = logits64.size(1);
  auto shifted = logits64 + (torch::randint(-8, 9, {N, 1}, torch::kFloat64) * 0.25);
  auto perm = torch::randperm(E, torch::kInt64);
  auto w_gate = torch::eye(E, torch::kFloat64).index_select(1, perm);  // (x w_gate)[:, j] = x[:, perm[j]]
  auto x = torch::zeros({N, E}, torch::kFloat64).index_copy(1, perm, shifted);
  return Inputs{x.to(dtype), w_gate.to(dtype), {}, {}, {}, {}};
}

// Ties at the top, across the k-th place, a whole row tied, and control rows without ties.
const torch::Tensor& tied_logits() {
  static const torch::Tensor t = torch::tensor({0., 4., 1., 1., -1.,  // unique max, tie for 2nd: k 2 -> [1, 2]
                                                2., 0., 1., 2., 2.,   // three tied at the top: k 2 -> [0, 3]
                                                1., 3., 3., 0., 2.,   // two tied at the top: k 1 -> [1]
                                                1., 1., 1., 1., 1.,   // all tied: k 2 -> [0, 1]
                                                0., 1., 2., 5., 5.,   // tie at the top at the end: [3, 4]
                                                0., 2., 1., 3., 0.,   // no tie, max at the higher index: [3, 1]
                                                3., 0., 0., 0., 2.},  // no tie at the top two: [0, 4]
                                               torch::kFloat64)
                                      .reshape({7, 5});
  return t;
}

std::string rows_of(const torch::Tensor& t) {
  std::vector<std::string> rows;
  auto c = t.to(torch::kFloat64).contiguous();
  for (int64_t n = 0; n < c.size(0); ++n) {
    std::vector<std::string> v;
    for (int64_t e = 0; e < c.size(1); ++e) v.push_back(fmt::format("{:g}", c[n][e].item<double>()));
    rows.push_back(fmt::format("[{}]", fmt::join(v, ", ")));
  }
  return fmt::format("[{}]", fmt::join(rows, ", "));
}

TEST(MoeRouter, RouterTies) {
  kata_test::meaning(
      "Exactly tied logits: the contract takes the LOWER expert index first (a stable descending sort: "
      "logits.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true)). Sorting ascending and flipping, or "
      "argsort(-logits) reversed, puts the higher index first; torch::topk promises nothing about ties.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto in = from_logits(tied_logits(), dtype);
    const std::string note = "logits " + rows_of(in.x.matmul(in.w_gate));
    for (int64_t k : {2, 1, 3, 5}) KATA_ASSERT_OK(check_router(in, k, note));
  }
}

TEST(MoeRouter, RouterGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The weights must carry the router's gradient: the load-balancing loss and the task loss "
                     "train w_gate through them. Computing the routing under a NoGradGuard, or from "
                     "logits.detach(), leaves the router untrained. Only the selection (the indices) is a "
                     "constant; gather the k logits from the live logits and softmax them.");
  kata_test::meaning(
      "The gradients of weights w.r.t. x and w_gate differ: the weights are softmax(gather(x w_gate, experts)), "
      "differentiable through the k selected logits.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& s : {Sizes{48, 10, 8, 1, 2}, Sizes{20, 6, 4, 1, 1}, Sizes{33, 7, 5, 1, 3}}) {
      auto in = random_inputs(s).to(dtype);
      const int64_t k = s.k;
      auto weight = torch::randn({s.N, k}, torch::TensorOptions().dtype(dtype));
      auto want = kata_test::run_backward(
          [k](const std::vector<torch::Tensor>& l) { return std::get<0>(reference::kata::router_topk(l[0], l[1], k)); },
          {in.x, in.w_gate}, weight);
      auto got = kata_test::run_backward(
          [k](const std::vector<torch::Tensor>& l) { return std::get<0>(kata::router_topk(l[0], l[1], k)); },
          {in.x, in.w_gate}, weight);
      KATA_ASSERT_OK(kata_test::backward_diff(got, want, {"x", "w_gate"},
                                              fmt::format("weights of router_topk, sum(weights * random), {}, {}",
                                                          describe_router(s),
                                                          kata_test::describe({{"x", in.x}, {"w_gate", in.w_gate}}))));
    }
  }
}

// ---- moe_forward

std::optional<std::string> check_forward(const Inputs& in, int64_t k, const std::string& note = "",
                                         const Inputs& same = {}) {
  const Inputs& r = same.x.defined() ? same : in;
  auto want = reference::kata::moe_forward(r.x, r.w_gate, r.w1, r.b1, r.w2, r.b2, k);
  return diff(kata::moe_forward(in.x, in.w_gate, in.w1, in.b1, in.w2, in.b2, k), want, "output",
              describe_inputs(in, k, note));
}

const std::vector<Sizes> kForwardSizes = {{64, 12, 8, 16, 2}, {40, 6, 4, 8, 1}, {300, 16, 8, 24, 2},
                                          {25, 5, 6, 7, 3}};

void forward_values(torch::ScalarType dtype) {
  for (const auto& s : kForwardSizes) {
    auto in = random_inputs(s).to(dtype);
    KATA_ASSERT_OK(check_forward(in, s.k, describe_sizes(s)));
  }
}

const char* kForwardMeaning =
    "moe_forward differs. For each token n and each of its k slots j: e = experts[n, j], add weights[n, j] * "
    "(relu(x[n] w1[e] + b1[e]) w2[e] + b2[e]). The expert is ReLU (not GELU or SiLU), b2 is inside the expert "
    "(weighted), and the outputs of the experts must be put back at the rows of the tokens that were sent to "
    "them: an [E, N, D] stack of expert outputs needs permute(1, 0, 2) to become [N, E, D], not a reshape.";

TEST(MoeRouter, ForwardFloat64) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "The output keeps x's dtype (zeros_like(x), not torch::zeros).");
  kata_test::meaning(kForwardMeaning);
  forward_values(torch::kFloat64);
}

TEST(MoeRouter, ForwardFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype, "The output keeps x's dtype (float32 here).");
  kata_test::meaning(kForwardMeaning);
  forward_values(torch::kFloat32);
}

// Small experts on the crafted tied logits: ties decide which experts run.
TEST(MoeRouter, ForwardTies) {
  kata_test::meaning(
      "With exactly tied router logits the layer runs the wrong experts: the contract takes the lower expert "
      "index first, in moe_forward as in router_topk (route with your router_topk).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto base = from_logits(tied_logits(), torch::kFloat64);
    Sizes s{7, 5, 5, 6, 2};
    auto r = random_inputs(s);
    Inputs in{base.x, base.w_gate, r.w1, r.b1, r.w2, r.b2};
    in = in.to(dtype);
    const std::string note = "logits " + rows_of(in.x.matmul(in.w_gate));
    for (int64_t k : {2, 1, 3}) KATA_ASSERT_OK(check_forward(in, k, note));
  }
}

std::optional<std::string> check_forward_backward(const Inputs& in, int64_t k, const std::string& note,
                                                  kata_test::Backward* got_out = nullptr) {
  auto weight = torch::randn({in.x.size(0), in.x.size(1)}, in.x.options());
  auto want = kata_test::run_backward(
      [k](const std::vector<torch::Tensor>& l) {
        return reference::kata::moe_forward(l[0], l[1], l[2], l[3], l[4], l[5], k);
      },
      in.all(), weight);
  auto got = kata_test::run_backward(
      [k](const std::vector<torch::Tensor>& l) { return kata::moe_forward(l[0], l[1], l[2], l[3], l[4], l[5], k); },
      in.all(), weight);
  if (got_out) *got_out = got;
  return kata_test::backward_diff(got, want, kNames, "sum(output * random), " + describe_inputs(in, k, note));
}

TEST(MoeRouter, ForwardGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Every input gets a gradient: x through the experts and through the router, w_gate through "
                     "the weights, each expert's weights through the tokens routed to it. A weight taken with "
                     ".item(), a NoGradGuard around the routing, or a .detach() cuts one of them.");
  kata_test::meaning(
      "The gradients of moe_forward differ. x gets two paths (the experts it runs through, and the router "
      "weights); w_gate gets the weights' gradient: if only w_gate's (or only x's) gradient is wrong, the "
      "weights are detached or rebuilt from values somewhere.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& s : {Sizes{48, 10, 8, 12, 2}, Sizes{30, 6, 4, 5, 1}, Sizes{20, 7, 5, 9, 3}}) {
      KATA_ASSERT_OK(check_forward_backward(random_inputs(s).to(dtype), s.k, describe_sizes(s)));
    }
  }
}

TEST(MoeRouter, ForwardUnusedExperts) {
  kata_test::meaning(
      "An expert that no token chose must get a gradient of exactly zero (and contribute nothing): only the k "
      "chosen experts of each token run, weighted by the renormalised top-k weights. A dense mixture that "
      "weights every expert by its full softmax probability trains experts no token was routed to.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // x > 0 and w_gate's last column < 0: the last expert's logit is below every other, never in a top k < E.
    Sizes s{40, 8, 6, 10, 2};
    auto in = random_inputs(s, /*unused_last=*/true).to(dtype);
    kata_test::Backward got;
    KATA_ASSERT_OK(check_forward_backward(in, s.k, fmt::format("expert {} is never chosen", s.E - 1), &got));
    bool zero = true;
    for (size_t i = 2; i < 6; ++i) zero = zero && got.grads[i].select(0, s.E - 1).eq(0).all().item<bool>();
    KATA_ASSERT_OK(property(zero, fmt::format("the gradients of expert {} (never chosen) are exactly 0", s.E - 1),
                            "an expert no token chose got a non-zero gradient"));
  }
}

// ---- load_balancing_loss

// Random router logits and the experts of their top k (distinct experts per token, as a router gives).
struct AuxCase {
  torch::Tensor logits, experts;
  int64_t E;
};
AuxCase random_aux(int64_t N, int64_t E, int64_t k, torch::ScalarType dtype, double scale = 1.5) {
  auto logits = torch::randn({N, E}, torch::kFloat64) * scale;
  auto experts = std::get<1>(logits.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true)).narrow(1, 0, k);
  // A different draw for the logits the loss sees, so P and f are not computed from the same numbers.
  auto seen = (logits + torch::randn({N, E}, torch::kFloat64) * 0.5).to(dtype);
  return {seen, experts.contiguous(), E};
}

std::string describe_aux(const AuxCase& a, const std::string& note = "") {
  return fmt::format("num_experts {}, k {}{}, {}", a.E, a.experts.size(1), note.empty() ? "" : ", " + note,
                     kata_test::describe({{"router_logits", a.logits}, {"experts", a.experts}}));
}

std::optional<std::string> check_aux(const AuxCase& a, const std::string& note = "", const AuxCase& same = {}) {
  const AuxCase& r = same.logits.defined() ? same : a;
  auto want = reference::kata::load_balancing_loss(r.logits, r.experts, r.E);
  return diff(kata::load_balancing_loss(a.logits, a.experts, a.E), want, "loss", describe_aux(a, note));
}

const char* kAuxMeaning =
    "load_balancing_loss differs. loss = E * sum_e f_e * P_e with f_e = (count of e in experts) / (N * k), "
    "every one of the k slots counted (so the f_e sum to 1), and P_e = softmax(router_logits, /*dim=*/-1) "
    "averaged over the N tokens (probabilities over the E experts, not logits). Counting only experts[:, 0], "
    "dividing the counts by N alone (k times too large, as Mixtral's code does) or not at all, or a softmax over "
    "the tokens each give another value.";

struct AuxSizes {
  int64_t N, E, k;
};

void aux_values(torch::ScalarType dtype) {
  for (const auto& c : {AuxSizes{96, 8, 2}, AuxSizes{50, 4, 1}, AuxSizes{300, 6, 2}, AuxSizes{17, 5, 3},
                        AuxSizes{200, 8, 1}}) {
    KATA_ASSERT_OK(check_aux(random_aux(c.N, c.E, c.k, dtype)));
  }
}

TEST(MoeRouter, AuxLossFloat64) {
  kata_test::explain(kata_test::Symptom::wrong_shape,
                     "The loss is a scalar: a 0-dim tensor (sum() of the E products), not [1] or [E].");
  kata_test::explain(kata_test::Symptom::wrong_dtype, "The loss keeps router_logits' dtype (f is a count: convert it).");
  kata_test::meaning(kAuxMeaning);
  aux_values(torch::kFloat64);
}

TEST(MoeRouter, AuxLossFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "The loss keeps router_logits' dtype (float32 here); bincount gives int64 counts: convert "
                     "them.");
  kata_test::meaning(kAuxMeaning);
  aux_values(torch::kFloat32);
}

TEST(MoeRouter, AuxLossCrafted) {
  kata_test::meaning(
      "On crafted routings the loss is known: a uniform router (all logits equal, P_e = 1/E) or perfectly "
      "balanced assignments (f_e = 1/E) give exactly 1 whatever the other factor is; everything routed to a "
      "few experts the router also prefers gives about E / (number of those experts). Check f (counts / (N * "
      "k)) and P (softmax over the E experts, averaged over tokens).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    const int64_t N = 24, E = 6;
    // Balanced: token n sends its 2 slots to experts n % 6 and (n + 3) % 6: each expert 8 of the 48 slots.
    auto n = torch::arange(N, torch::kInt64);
    auto balanced = torch::stack({n % E, (n + 3) % E}, 1);
    AuxCase b{(torch::randn({N, E}, torch::kFloat64) * 2).to(dtype), balanced, E};
    KATA_ASSERT_OK(check_aux(b, "balanced: each expert gets 8 of the 48 assignments (loss 1)"));
    // Uniform router, collapsed routing.
    auto collapsed = torch::tensor({0, 1}, torch::kInt64).expand({N, 2}).contiguous();
    AuxCase u{torch::full({N, E}, 0.75, torch::TensorOptions().dtype(dtype)), collapsed, E};
    KATA_ASSERT_OK(check_aux(u, "all logits 0.75 (P_e = 1/6), every token to experts 0 and 1 (loss 1)"));
    // Collapsed onto experts 0 and 1, which the router prefers by 8: loss close to E / 2 = 3.
    auto pref = torch::zeros({N, E}, torch::kFloat64);
    pref.narrow(1, 0, 2).fill_(8.0);
    AuxCase c{(pref + torch::rand({N, E}, torch::kFloat64) * 0.1).to(dtype), collapsed, E};
    KATA_ASSERT_OK(check_aux(c, "every token to experts 0 and 1, which the router prefers by 8 (loss about 3)"));
    // One expert (k = 1) all tokens: f = [1, 0, ...], loss = E * P_0.
    AuxCase one{(torch::randn({N, E}, torch::kFloat64)).to(dtype), torch::zeros({N, 1}, torch::kInt64), E};
    KATA_ASSERT_OK(check_aux(one, "k 1, every token to expert 0 (loss = E * P_0)"));
  }
}

TEST(MoeRouter, AuxLossGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The loss trains the router: it must be differentiable w.r.t. router_logits through P "
                     "(softmax of the live logits); only f is a constant.");
  kata_test::meaning(
      "The gradient w.r.t. router_logits differs: d loss / d logits[n] = (E / N) * J_softmax(logits[n]) f, the "
      "softmax's Jacobian applied to f, with f the constant fractions.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& c : {AuxSizes{64, 8, 2}, AuxSizes{30, 4, 1}, AuxSizes{45, 5, 3}}) {
      auto a = random_aux(c.N, c.E, c.k, dtype);
      auto weight = torch::randn({}, torch::TensorOptions().dtype(dtype));
      const int64_t E = a.E;
      auto want = kata_test::run_backward(
          [E](const std::vector<torch::Tensor>& l) { return reference::kata::load_balancing_loss(l[0], l[1], E); },
          {a.logits, a.experts}, weight);
      auto got = kata_test::run_backward(
          [E](const std::vector<torch::Tensor>& l) { return kata::load_balancing_loss(l[0], l[1], E); },
          {a.logits, a.experts}, weight);
      KATA_ASSERT_OK(kata_test::backward_diff(got, want, {"router_logits", "experts"}, "loss * random, " + describe_aux(a)));
    }
  }
}

// ---- shared

TEST(MoeRouter, EdgeShapes) {
  kata_test::meaning(
      "A single token, k = E (every expert chosen), a single expert, D = 1 or H = 1 break solutions that squeeze "
      "dimensions ([1, k] becomes [k]), assume k < E, or index past the last expert.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    for (const auto& s : {Sizes{1, 6, 4, 5, 2}, Sizes{9, 5, 4, 3, 4}, Sizes{7, 4, 1, 3, 1}, Sizes{1, 1, 3, 1, 1},
                          Sizes{12, 1, 5, 1, 2}, Sizes{1, 3, 4, 2, 4}}) {
      auto in = random_inputs(s).to(dtype);
      KATA_ASSERT_OK(check_router(in, s.k, describe_sizes(s)));
      KATA_ASSERT_OK(check_forward_backward(in, s.k, describe_sizes(s)));
      auto logits = in.x.matmul(in.w_gate);
      auto experts = std::get<1>(reference::kata::router_topk(in.x, in.w_gate, s.k));
      KATA_ASSERT_OK(check_aux({logits, experts, s.E}, describe_sizes(s)));
    }
  }
}

TEST(MoeRouter, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: x or the weights stored transposed, sliced out of a larger tensor or "
      "expanded (a bias shared by every expert), experts as a slice. .view() and data_ptr indexing assume a "
      "memory layout; use tensor ops (reshape, or .contiguous() first).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    Sizes s{36, 8, 6, 10, 2};
    auto in = random_inputs(s).to(dtype);
    auto wide = torch::randn({s.N, s.D + 5}, in.x.options());
    wide.narrow(1, 3, s.D).copy_(in.x);
    auto shared_b2 = in.b2.narrow(0, 0, 1).expand({s.E, s.D});
    Inputs same{in.x, in.w_gate, in.w1, in.b1, in.w2, shared_b2.contiguous()};
    Inputs views{wide.narrow(1, 3, s.D), kata_test::non_contiguous(in.w_gate), kata_test::non_contiguous(in.w1),
                 kata_test::non_contiguous(in.b1), in.w2.permute({0, 2, 1}).contiguous().permute({0, 2, 1}), shared_b2};
    const std::string note = "x sliced from [N, D + 5], w_gate, w1, b1, w2 stored transposed, b2 expanded from [1, D]";
    KATA_ASSERT_OK(check_router(views, s.k, note, same));
    KATA_ASSERT_OK(check_forward(views, s.k, note, same));
    auto a = random_aux(s.N, s.E, s.k, dtype);
    auto experts_wide = torch::zeros({s.N, s.k + 2}, torch::kInt64);
    experts_wide.narrow(1, 1, s.k).copy_(a.experts);
    AuxCase view{a.logits.t().contiguous().t(), experts_wide.narrow(1, 1, s.k), a.E};
    KATA_ASSERT_OK(check_aux(view, "router_logits stored transposed, experts sliced from [N, k + 2]", a));
  }
}

TEST(MoeRouter, InputsUnchanged) {
  kata_test::meaning(
      "A function wrote into its inputs (an in-place op such as relu_, add_, masked_fill_ or sort_ on them): "
      "x, the weights and the router logits belong to the caller and must be left as they were.");
  Sizes s{20, 6, 5, 7, 2};
  auto in = random_inputs(s);
  auto before = in.to(torch::kFloat64);
  std::vector<torch::Tensor> saved;
  for (const auto& t : in.all()) saved.push_back(t.clone());
  kata::router_topk(in.x, in.w_gate, s.k);
  kata::moe_forward(in.x, in.w_gate, in.w1, in.b1, in.w2, in.b2, s.k);
  for (size_t i = 0; i < saved.size(); ++i)
    KATA_ASSERT_OK(diff(in.all()[i], saved[i], kNames[i] + " after router_topk and moe_forward",
                        describe_inputs(before, s.k), kExact));
  auto a = random_aux(s.N, s.E, s.k, torch::kFloat64);
  auto logits0 = a.logits.clone(), experts0 = a.experts.clone();
  kata::load_balancing_loss(a.logits, a.experts, a.E);
  KATA_ASSERT_OK(diff(a.logits, logits0, "router_logits after load_balancing_loss", describe_aux(a), kExact));
  KATA_ASSERT_OK(diff(a.experts, experts0, "experts after load_balancing_loss", describe_aux(a), kExact));
}

}  // namespace

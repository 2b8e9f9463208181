// Hidden tests for dpo_loss: the learner's kata::sequence_logprob and kata::dpo_loss against the reference, then
// the two together (gradients from the DPO loss back to the policy's logits).
//
// Each named mistake fails first at its own check, and every check before it is built so that the mistake passes
// it (the first config of a check decides which mistake is named):
//   SequenceLogprob.Shift            T = 2, every mask true: one counted token per row, so only the shift shows.
//   SequenceLogprob.SumOverTokens    every mask true (mask[:, 0] too), T >= 3: a mean differs, a mask misplaced
//                                    by one does not.
//   SequenceLogprob.MaskAlignment    mask[:, 1:] all true, mask[:, 0] false in some rows: only a mask read at
//                                    the logits' positions (mask[t] instead of mask[t + 1]) differs.
//   SequenceLogprob.MaskedPositionsIgnored   prompts and padding: ignoring the mask differs.
//   SequenceLogprob.LargeLogits      logits near +1000 first (an unshifted logsumexp overflows, log(softmax) does
//                                    not), then a label 1000 below its row's maximum (log(softmax) gives -inf).
//   DpoLoss.ReferenceSign            B = 1, beta = 1, |z| < 20: only the margin's formula shows.
//   DpoLoss.Beta                     B = 1, beta != 1: beta outside the logsigmoid shows.
//   DpoLoss.MeanOverBatch            B > 1: a sum over the batch shows.
//   DpoLoss.LargeMargins             z = -1000: log(sigmoid(z)) gives inf.
//   DpoLoss.RewardsDetached          the rewards carry no graph.
//
// Tolerances, from the right solutions (.meta/cases/ok_*.cpp) against the reference on 2000 random cases of the
// shapes and magnitudes used here (a /tmp program linking all three; fraction of the tolerance used, 1 = fails):
//   sequence_logprob, the kit's tolerance: float64 4.1e-6 (output and gradient), float32 0.15 (output), 0.054
//   (gradient). LargeLogits gives float32 atol 1e-2: logits near 1000 carry ~6e-5 of rounding each.
//   dpo_loss float64, the kit's tolerance: 1.1e-5. float32: kDpoFloat32 below (rtol 1e-5, atol 5e-5), of which
//   the margin grouped by policy and reference ((pc - pr) - (rc - rr), TRL's order) uses 0.045 (loss) and 0.013
//   (gradients); the kit's float32 tolerance would be 0.26 used, a margin kept wider for log-probabilities of
//   magnitude ~60, whose float32 rounding (~4e-6 each) the grouping moves into z.
#include "kata_test.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>

#include "dpo_loss.h"

#include "kata_reference.h"  // the reference, as reference::kata::..., with internal linkage

namespace {

using kata_test::diff;
const kata_test::Tolerance kDpoFloat32{1e-5, 5e-5};

std::optional<kata_test::Tolerance> dpo_tolerance(torch::ScalarType dtype) {
  if (dtype == torch::kFloat32) return kDpoFloat32;
  return std::nullopt;
}

std::string values(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat64).contiguous().flatten();
  std::vector<std::string> parts;
  for (int64_t i = 0; i < c.numel(); ++i) parts.push_back(fmt::format("{:.4g}", c.data_ptr<double>()[i]));
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

// "[[0, 1, 1], [1, 1, 1]]" for a [B, T] mask or labels.
std::string rows_of(const torch::Tensor& t) {
  std::vector<std::string> rows;
  for (int64_t b = 0; b < t.size(0); ++b) rows.push_back(values(t[b]));
  return fmt::format("[{}]", fmt::join(rows, ", "));
}

// ---- sequence_logprob

struct Seq {
  torch::Tensor logits, labels, mask;
};

torch::Tensor random_labels(int64_t B, int64_t T, int64_t V) { return torch::randint(0, V, {B, T}, torch::kInt64); }

// Prompt, response, padding: row b counts positions p_b .. p_b + r_b - 1, p_b >= 1, r_b >= 2 (T >= 4). Row 0 is
// always padded at the end and the last row never, so a misplaced mask shows in some row on every seed.
torch::Tensor response_mask(int64_t B, int64_t T) {
  auto mask = torch::zeros({B, T}, torch::kBool);
  for (int64_t b = 0; b < B; ++b) {
    const int64_t prompt = torch::randint(1, T - 2, {1}, torch::kInt64).item<int64_t>();  // 1 .. T-3
    int64_t length = torch::randint(2, T - prompt + 1, {1}, torch::kInt64).item<int64_t>();  // 2 .. T-prompt
    if (b == 0 && B > 1) length = std::min(length, T - 1 - prompt);  // padded at the end
    if (b == B - 1) length = T - prompt;                              // never padded
    mask[b].narrow(0, prompt, length).fill_(true);
  }
  return mask;
}

Seq random_seq(int64_t B, int64_t T, int64_t V, torch::ScalarType dtype, const torch::Tensor& mask) {
  return {(torch::randn({B, T, V}, torch::kFloat64) * 2).to(dtype), random_labels(B, T, V), mask};
}

std::string describe_seq(const Seq& s, const std::string& note = "") {
  std::string d = kata_test::describe({{"logits", s.logits}, {"labels", s.labels}, {"mask", s.mask}});
  if (s.mask.numel() <= 24) d = "mask " + rows_of(s.mask) + ", " + d;
  return note.empty() ? d : note + ", " + d;
}

// The learner's sum on `s` against the reference's on `same` (equal values; `s` may hold views). The reference
// runs first, on copies, so a learner that writes into its inputs cannot change what it is compared with.
std::optional<std::string> check_seq(const Seq& s, const Seq& same, const std::string& note = "",
                                     std::optional<kata_test::Tolerance> tol = {}) {
  auto want = reference::kata::sequence_logprob(same.logits.clone(), same.labels.clone(), same.mask.clone());
  return diff(kata::sequence_logprob(s.logits, s.labels, s.mask), want, "sequence_logprob", describe_seq(s, note),
              tol);
}
std::optional<std::string> check_seq(const Seq& s, const std::string& note = "",
                                     std::optional<kata_test::Tolerance> tol = {}) {
  return check_seq(s, s, note, tol);
}

std::optional<std::string> check_seq_gradient(const Seq& s, const std::string& note = "",
                                              std::optional<kata_test::Tolerance> tol = {}) {
  auto weight = torch::randn({s.logits.size(0)}, torch::kFloat64).to(s.logits.scalar_type());
  auto run = [&](auto f) {
    return [f, &s](const std::vector<torch::Tensor>& in) { return f(in[0], s.labels, s.mask); };
  };
  return kata_test::backward_diff(
      kata_test::run_backward(run(kata::sequence_logprob), {s.logits}, weight),
      kata_test::run_backward(run(reference::kata::sequence_logprob), {s.logits}, weight), {"logits"},
      describe_seq(s, note + (note.empty() ? "" : "; ") + "gradient of sum(sequence_logprob * w), w random"), tol);
}

torch::Tensor bool_mask(const std::vector<std::vector<int>>& rows) {
  std::vector<torch::Tensor> r;
  for (const auto& row : rows) r.push_back(torch::tensor(std::vector<int64_t>(row.begin(), row.end())));
  return torch::stack(r).to(torch::kBool);
}

// Three rows of crafted logits [3, T, 4] (T <= 5) and labels [3, T]: small exact numbers, no ties.
Seq crafted_seq(int64_t T, torch::ScalarType dtype, const torch::Tensor& mask) {
  auto logits = torch::tensor({2.0,  0.0, -1.0, 0.5,  0.5, 1.0,  0.0, -2.0, -1.0, 0.0,  3.0, 1.0,
                               1.5,  -0.5, 0.0, 2.5, 0.0, 2.0,  -1.0, 0.5,  1.0,  -1.5, 0.5, 0.0,
                               -0.5, 1.0,  3.0, 0.0, 2.0, -1.0, 0.0,  1.0,  0.5,  2.0,  -2.0, 1.0,
                               1.0,  0.0,  0.5, -1.0, 0.0, 1.5, 2.0, -0.5, 3.0,  0.5,  1.0, -1.0,
                               -1.0, 2.0,  0.0, 1.0, 1.0, 0.0, -1.5, 2.5, 0.0,  -0.5, 1.5, 2.0},
                              torch::kFloat64)
                    .reshape({3, 5, 4})
                    .narrow(1, 0, T);
  auto labels = torch::tensor({3, 2, 0, 1, 3, 1, 0, 3, 2, 0, 2, 3, 1, 0, 2}, torch::kInt64).reshape({3, 5}).narrow(1, 0, T);
  return {logits.to(dtype).contiguous(), labels.contiguous(), mask};
}

TEST(SequenceLogprob, Shift) {
  kata_test::meaning(
      "Causal LM targets are shifted: logits[:, t] is the model's prediction for the NEXT token, so it scores "
      "labels[:, t + 1] (t = 0 .. T-2; logits[:, T-1] and labels[:, 0] are never used). Scoring labels[:, t] with "
      "logits[:, t] asks how likely the model finds the token it was just given as input. Slice logits[:, :-1], "
      "labels[:, 1:] and mask[:, 1:].");
  // T = 2 and every mask true: one counted token per row (logits[:, 0] scoring labels[:, 1]), so a sum and a mean
  // agree and no mask placement matters here: only the shift can make this fail.
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto mask = torch::ones({3, 2}, torch::kBool);
    auto s = crafted_seq(2, dtype, mask);
    KATA_ASSERT_OK(check_seq(s, "labels " + rows_of(s.labels) + ", logits[:, 0] " + rows_of(s.logits.select(1, 0)) +
                                    ", logits[:, 1] " + rows_of(s.logits.select(1, 1))));
    KATA_ASSERT_OK(check_seq(random_seq(6, 2, 7, dtype, torch::ones({6, 2}, torch::kBool)), "every mask true"));
  }
}

TEST(SequenceLogprob, SumOverTokens) {
  kata_test::meaning(
      "The sequence log-probability is the SUM of its tokens' log-probabilities (log p(y|x) = sum_t log p(y_t | "
      "x, y_<t)), not their mean: DPO compares the likelihood of whole responses. Averaging over the counted "
      "tokens (what cross_entropy's default reduction does) gives a per-token average, a different objective "
      "that favours long responses differently.");
  // Every mask true, mask[:, 0] included: misplacing the mask by one position changes nothing here.
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto s = crafted_seq(4, dtype, torch::ones({3, 4}, torch::kBool));
    KATA_ASSERT_OK(check_seq(s, "every mask true, 3 counted tokens per row, labels " + rows_of(s.labels)));
    KATA_ASSERT_OK(check_seq(random_seq(4, 7, 9, dtype, torch::ones({4, 7}, torch::kBool)), "every mask true"));
  }
}

TEST(SequenceLogprob, MaskAlignment) {
  kata_test::meaning(
      "The mask is aligned with the labels: mask[b, t] says whether labels[b, t] counts, and labels[b, t] is "
      "scored by logits[b, t - 1]. So the mask is shifted with the labels (mask[:, 1:]), not with the logits "
      "(mask[:, :-1]): a mask read at the logits' positions drops the first response token and counts the one "
      "after the last.");
  // mask[:, 1:] is all true, mask[:, 0] (never used) false in some rows: only mask[:, :-1] differs.
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto m2 = bool_mask({{0, 1}, {1, 1}, {0, 1}});
    KATA_ASSERT_OK(check_seq(crafted_seq(2, dtype, m2), "mask[:, 0] is never used"));
    auto m5 = bool_mask({{0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {0, 1, 1, 1, 1}});
    KATA_ASSERT_OK(check_seq(crafted_seq(5, dtype, m5), "mask[:, 0] is never used"));
    auto m = torch::ones({5, 6}, torch::kBool);
    m.select(1, 0).copy_(torch::tensor({false, true, false, true, false}));
    KATA_ASSERT_OK(check_seq(random_seq(5, 6, 8, dtype, m), "mask[:, 0] is never used"));
  }
}

TEST(SequenceLogprob, MaskedPositionsIgnored) {
  kata_test::meaning(
      "Only the positions the mask marks count: the prompt's tokens and the padding are excluded (their "
      "log-probabilities are not part of the response's). Mask the per-token log-probabilities (masked_fill or "
      "multiply by mask[:, 1:]) before summing; a row with no counted token gives 0.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto m3 = bool_mask({{0, 1, 0}, {1, 1, 0}, {0, 0, 1}});
    KATA_ASSERT_OK(check_seq(crafted_seq(3, dtype, m3), "one counted token per row"));
    auto m5 = bool_mask({{0, 0, 1, 1, 0}, {0, 1, 1, 1, 1}, {1, 0, 0, 1, 0}});
    KATA_ASSERT_OK(check_seq(crafted_seq(5, dtype, m5), "prompt, response, padding"));
    KATA_ASSERT_OK(check_seq(random_seq(6, 9, 11, dtype, response_mask(6, 9)), "prompt, response, padding"));
    auto none = bool_mask({{1, 0, 0, 0}, {0, 1, 1, 0}, {0, 0, 0, 0}});
    KATA_ASSERT_OK(check_seq(crafted_seq(4, dtype, none), "rows 0 and 2 count no token: 0"));
  }
}

// Logits around +offset, with each label `below` under its row's maximum (the label's own position only).
Seq large_seq(int64_t B, int64_t T, int64_t V, torch::ScalarType dtype, double offset, double below) {
  auto logits = torch::randn({B, T, V}, torch::kFloat64) * 3 + offset;
  auto labels = random_labels(B, T, V);
  if (below > 0) {
    auto target = labels.narrow(1, 1, T - 1).unsqueeze(-1);                 // (B, T-1, 1)
    auto pred = logits.narrow(1, 0, T - 1);                                 // (B, T-1, V) a view
    auto low = pred.amax(-1, true) - below;                                 // (B, T-1, 1)
    pred.scatter_(-1, target, low);
  }
  return {logits.to(dtype), labels, response_mask(B, T)};
}

TEST(SequenceLogprob, LargeLogits) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "log(softmax(x)) is -inf as soon as a probability underflows (a label more than ~745 below "
                     "the row's maximum in float64, ~104 in float32), and log(sum(exp(x))) overflows to inf for "
                     "logits above ~709 (float64) or ~88 (float32). torch::log_softmax, or x - max - "
                     "log(sum(exp(x - max))) with the row's max subtracted, is exact for any finite logits.");
  kata_test::meaning(
      "Large logits must give finite, exact log-probabilities: use log_softmax (or subtract the row's maximum "
      "before exp), never log(softmax(...)) or an unshifted logsumexp.");
  // float32 logits near 1000 carry ~6e-5 of rounding each (x - logsumexp(x) loses it where log_softmax's
  // x - max does not), so float32 gets atol 1e-2 here: the mistakes this check is about give inf or NaN.
  auto tol = [](torch::ScalarType dtype) {
    return dtype == torch::kFloat32 ? std::optional<kata_test::Tolerance>(kata_test::Tolerance{1e-5, 1e-2})
                                    : std::nullopt;
  };
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_seq(large_seq(3, 6, 7, dtype, 1000.0, 0.0), "logits around +1000 (spread ~3)", tol(dtype)));
  }
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto s = large_seq(3, 6, 7, dtype, 0.0, 1000.0);
    KATA_ASSERT_OK(check_seq(s, "each label's logit 1000 below its row's maximum", tol(dtype)));
    KATA_ASSERT_OK(check_seq_gradient(s, "each label's logit 1000 below its row's maximum", tol(dtype)));
    KATA_ASSERT_OK(check_seq(large_seq(3, 6, 7, dtype, 2000.0, 1500.0), "logits around +2000, labels 1500 below",
                             tol(dtype)));
  }
}

TEST(SequenceLogprob, OutputFloat64) {
  kata_test::meaning(
      "The summed log-probabilities differ: out[b] = sum over t < T-1 with mask[b, t+1] of "
      "log_softmax(logits[b, t])[labels[b, t+1]].");
  for (auto [B, T, V] : std::vector<std::array<int64_t, 3>>{{4, 8, 10}, {2, 12, 50}, {5, 5, 3}}) {
    KATA_ASSERT_OK(check_seq(random_seq(B, T, V, torch::kFloat64, response_mask(B, T))));
  }
}

TEST(SequenceLogprob, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 logits give a float32 result: keep the computation in logits' dtype (a mask turned "
                     "into float64, or torch::tensor(...) constants, promote it).");
  for (auto [B, T, V] : std::vector<std::array<int64_t, 3>>{{4, 8, 10}, {2, 12, 50}, {5, 5, 3}}) {
    KATA_ASSERT_OK(check_seq(random_seq(B, T, V, torch::kFloat32, response_mask(B, T))));
  }
}

TEST(SequenceLogprob, GradientLogits) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "Compute with differentiable tensor ops on logits: no .detach(), NoGradGuard, .item() or values "
                     "copied into a new tensor.");
  kata_test::meaning(
      "The gradient w.r.t. logits differs from autograd's through the reference: d out[b] / d logits[b, t] = "
      "onehot(labels[b, t+1]) - softmax(logits[b, t]) where mask[b, t+1], and exactly 0 elsewhere (masked "
      "positions and t = T-1).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_seq_gradient(random_seq(4, 7, 9, dtype, response_mask(4, 7))));
    KATA_ASSERT_OK(check_seq_gradient(random_seq(2, 10, 30, dtype, response_mask(2, 10))));
  }
}

TEST(SequenceLogprob, EdgeShapes) {
  kata_test::meaning(
      "Edge shapes: T = 1 (nothing is predicted: 0 per row), a vocabulary of one token (log-probability 0), a "
      "single sequence, a mask with no counted token (0). Solutions that squeeze dimensions, divide by a count "
      "or index t + 1 past the end break here.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_seq(random_seq(3, 1, 5, dtype, torch::ones({3, 1}, torch::kBool)), "T = 1"));
    KATA_ASSERT_OK(check_seq(random_seq(2, 6, 1, dtype, response_mask(2, 6)), "V = 1"));
    KATA_ASSERT_OK(check_seq(random_seq(1, 6, 5, dtype, response_mask(1, 6)), "B = 1"));
    KATA_ASSERT_OK(check_seq(random_seq(1, 2, 1, dtype, torch::ones({1, 2}, torch::kBool)), "B = 1, T = 2, V = 1"));
    KATA_ASSERT_OK(check_seq(random_seq(3, 5, 4, dtype, torch::zeros({3, 5}, torch::kBool)), "every mask false"));
    // No gradient check at T = 1: the output is a constant 0, which a right solution may return unconnected.
    KATA_ASSERT_OK(check_seq_gradient(random_seq(1, 6, 5, dtype, response_mask(1, 6)), "B = 1"));
  }
}

TEST(SequenceLogprob, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: logits sliced out of a wider vocabulary or stored transposed, labels and "
      "mask with strides, a batch expanded from one row. .view() or data_ptr indexing assume a memory layout; "
      "use tensor ops (or .contiguous() first).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto s = random_seq(4, 7, 9, dtype, response_mask(4, 7));
    Seq t{kata_test::non_contiguous(s.logits), kata_test::non_contiguous(s.labels), kata_test::non_contiguous(s.mask)};
    KATA_ASSERT_OK(check_seq(t, s, "logits, labels and mask stored transposed"));
    auto wide = torch::randn({4, 7, 13}, torch::kFloat64).to(dtype);
    wide.narrow(2, 3, 9).copy_(s.logits);
    KATA_ASSERT_OK(check_seq({wide.narrow(2, 3, 9), s.labels, s.mask}, s, "logits sliced from [4, 7, 13]"));
    auto row = random_seq(1, 7, 9, dtype, response_mask(1, 7));
    Seq expanded{row.logits.expand({3, 7, 9}), row.labels.expand({3, 7}), row.mask.expand({3, 7})};
    Seq same{expanded.logits.contiguous(), expanded.labels.contiguous(), expanded.mask.contiguous()};
    KATA_ASSERT_OK(check_seq(expanded, same, "one sequence expanded to a batch of 3"));
    KATA_ASSERT_OK(check_seq_gradient(t, "logits, labels and mask stored transposed"));
  }
}

TEST(SequenceLogprob, InputsUnchanged) {
  kata_test::meaning(
      "sequence_logprob wrote into its inputs (an in-place op such as logits.log_softmax_ / sub_, labels.masked_fill_ "
      "or mask.logical_not_): the caller reuses them, so they must be left as they were.");
  auto s = random_seq(3, 6, 8, torch::kFloat64, response_mask(3, 6));
  Seq before{s.logits.clone(), s.labels.clone(), s.mask.clone()};
  kata::sequence_logprob(s.logits, s.labels, s.mask);
  const kata_test::Tolerance exact{0, 0};
  KATA_ASSERT_OK(diff(s.logits, before.logits, "logits after the call", describe_seq(before), exact));
  KATA_ASSERT_OK(diff(s.labels, before.labels, "labels after the call", describe_seq(before), exact));
  KATA_ASSERT_OK(diff(s.mask, before.mask, "mask after the call", describe_seq(before), exact));
}

// ---- dpo_loss

struct Pairs {
  torch::Tensor pc, pr, rc, rr;  // policy chosen, policy rejected, ref chosen, ref rejected
  double beta;
};

// Summed log-probabilities of responses of ~10-60 tokens: -60 .. -10, the policy and the reference close.
Pairs random_pairs(int64_t B, double beta, torch::ScalarType dtype, double spread = 1.0) {
  auto base_c = -10 - torch::rand({B}, torch::kFloat64) * 50;
  auto base_r = -10 - torch::rand({B}, torch::kFloat64) * 50;
  auto noise = [&] { return torch::randn({B}, torch::kFloat64) * spread; };
  return {(base_c + noise()).to(dtype), (base_r + noise()).to(dtype), (base_c + noise()).to(dtype),
          (base_r + noise()).to(dtype), beta};
}

Pairs exact_pairs(const std::vector<double>& pc, const std::vector<double>& pr, const std::vector<double>& rc,
                  const std::vector<double>& rr, double beta, torch::ScalarType dtype) {
  auto t = [&](const std::vector<double>& v) { return torch::tensor(v, torch::kFloat64).to(dtype); };
  return {t(pc), t(pr), t(rc), t(rr), beta};
}

std::string describe_pairs(const Pairs& p, const std::string& note = "") {
  std::string d = fmt::format("beta {}", p.beta);
  if (p.pc.numel() <= 4)
    d += fmt::format(", policy_chosen {}, policy_rejected {}, ref_chosen {}, ref_rejected {}", values(p.pc),
                     values(p.pr), values(p.rc), values(p.rr));
  d += ", " + kata_test::describe({{"policy_chosen", p.pc},
                                   {"policy_rejected", p.pr},
                                   {"ref_chosen", p.rc},
                                   {"ref_rejected", p.rr}});
  return note.empty() ? d : note + ", " + d;
}

// The learner's loss and rewards on `p` against the reference's on `same` (equal values).
std::optional<std::string> check_dpo(const Pairs& p, const Pairs& same, const std::string& note = "",
                                     std::optional<kata_test::Tolerance> tol_override = {}) {
  auto want = reference::kata::dpo_loss(same.pc.clone(), same.pr.clone(), same.rc.clone(), same.rr.clone(), same.beta);
  auto got = kata::dpo_loss(p.pc, p.pr, p.rc, p.rr, p.beta);
  auto tol = tol_override ? tol_override : dpo_tolerance(same.pc.scalar_type());
  const std::string d = describe_pairs(p, note);
  if (auto e = diff(std::get<0>(got), std::get<0>(want), "loss", d, tol)) return e;
  if (auto e = diff(std::get<1>(got), std::get<1>(want), "chosen_rewards", d, tol)) return e;
  return diff(std::get<2>(got), std::get<2>(want), "rejected_rewards", d, tol);
}
std::optional<std::string> check_dpo(const Pairs& p, const std::string& note = "") { return check_dpo(p, p, note); }

std::optional<std::string> check_dpo_gradient(const Pairs& p, const std::string& note = "") {
  auto weight = torch::randn({}, torch::kFloat64).to(p.pc.scalar_type());
  const double beta = p.beta;
  auto run = [beta](auto f) {
    return [f, beta](const std::vector<torch::Tensor>& in) { return std::get<0>(f(in[0], in[1], in[2], in[3], beta)); };
  };
  std::vector<torch::Tensor> leaves = {p.pc, p.pr, p.rc, p.rr};
  return kata_test::backward_diff(kata_test::run_backward(run(kata::dpo_loss), leaves, weight),
                                  kata_test::run_backward(run(reference::kata::dpo_loss), leaves, weight),
                                  {"policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected"},
                                  describe_pairs(p, note + (note.empty() ? "" : "; ") + "gradient of loss * w"),
                                  dpo_tolerance(p.pc.scalar_type()));
}

TEST(DpoLoss, ReferenceSign) {
  kata_test::meaning(
      "The DPO margin is the policy's log-ratio improvement over the reference: z = beta * ((policy_chosen - "
      "ref_chosen) - (policy_rejected - ref_rejected)), the same as beta * ((pc - pr) - (rc - rr)). Adding the "
      "reference's log-ratio (pc - pr) + (rc - rr) rewards the policy for what the reference already prefers.");
  // B = 1 and beta = 1: only the margin's formula can make this fail. z = (-12.5 + 13) - (-14 + 13.5) = 1.
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_dpo(exact_pairs({-12.5}, {-14.0}, {-13.0}, {-13.5}, 1.0, dtype), "z = 1"));
    KATA_ASSERT_OK(check_dpo(exact_pairs({-20.0}, {-18.0}, {-23.0}, {-19.5}, 1.0, dtype), "z = 1.5"));
    KATA_ASSERT_OK(check_dpo(random_pairs(1, 1.0, dtype), "B = 1"));
  }
}

TEST(DpoLoss, Beta) {
  kata_test::meaning(
      "beta scales the margin INSIDE the logsigmoid: loss = -logsigmoid(beta * margin). -beta * "
      "logsigmoid(margin) is a different function (with beta = 0.1 it is nearly flat in beta, and its gradient "
      "does not vanish as the policy's preference grows); and the rewards are beta * (policy - ref).");
  // B = 1 (a mean and a sum agree), beta != 1.
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_dpo(exact_pairs({-12.5}, {-14.0}, {-13.0}, {-13.5}, 0.5, dtype), "z = 0.5"));
    for (double beta : {0.1, 2.0, 0.01}) KATA_ASSERT_OK(check_dpo(random_pairs(1, beta, dtype, 2.0), "B = 1"));
  }
}

TEST(DpoLoss, MeanOverBatch) {
  kata_test::meaning(
      "The loss is the MEAN of -logsigmoid(z[b]) over the batch, not the sum (a sum makes the gradient, and so "
      "the effective learning rate, grow with the batch size).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_dpo(exact_pairs({-12.5, -20.0, -30.0}, {-14.0, -18.0, -29.0}, {-13.0, -23.0, -31.0},
                                         {-13.5, -19.5, -28.0}, 0.1, dtype),
                             "B = 3"));
    KATA_ASSERT_OK(check_dpo(random_pairs(8, 0.1, dtype), "B = 8"));
  }
}

TEST(DpoLoss, LargeMargins) {
  kata_test::explain(kata_test::Symptom::non_finite,
                     "log(sigmoid(z)) is log(0) = -inf once sigmoid(z) underflows (z below ~-745 in float64, ~-104 in "
                     "float32), and its gradient is NaN. torch::log_sigmoid(z), or -softplus(-z), is exact for any z.");
  kata_test::meaning(
      "A large margin must give a finite loss: -logsigmoid(z) ~ -z for z very negative (a policy that strongly "
      "prefers the rejected response) and ~ 0 for z very positive. Use log_sigmoid, not log(sigmoid(...)).");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    // z = -1000 in row 0, +1000 in row 1, 1 in row 2.
    auto p = exact_pairs({-1100.0, -100.0, -12.5}, {-100.0, -1100.0, -14.0}, {-100.0, -100.0, -13.0},
                         {-100.0, -100.0, -13.5}, 1.0, dtype);
    KATA_ASSERT_OK(check_dpo(p, "z = [-1000, 1000, 1]"));
    KATA_ASSERT_OK(check_dpo_gradient(p, "z = [-1000, 1000, 1]"));
    KATA_ASSERT_OK(check_dpo(random_pairs(4, 0.5, dtype, 1000.0), "|z| up to ~2000"));
  }
}

TEST(DpoLoss, RewardsDetached) {
  kata_test::meaning(
      "chosen_rewards and rejected_rewards are for logging: return them detached (beta * (policy - "
      "ref)).detach(). Attached, they keep the whole graph (the policy's forward pass) alive as long as they are "
      "kept, and a caller that adds them to a metric accumulates graphs.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto p = random_pairs(4, 0.1, dtype);
    Pairs g{p.pc.clone().requires_grad_(true), p.pr.clone().requires_grad_(true), p.rc.clone().requires_grad_(true),
            p.rr.clone().requires_grad_(true), p.beta};
    auto out = kata::dpo_loss(g.pc, g.pr, g.rc, g.rr, g.beta);
    const std::string d = describe_pairs(p, "every input requires grad");
    KATA_ASSERT_OK(kata_test::property(!std::get<1>(out).requires_grad(), "chosen_rewards is detached",
                                       "chosen_rewards requires grad: it is still attached to the graph, case: " + d));
    KATA_ASSERT_OK(kata_test::property(!std::get<2>(out).requires_grad(), "rejected_rewards is detached",
                                       "rejected_rewards requires grad: it is still attached to the graph, case: " + d));
  }
}

TEST(DpoLoss, OutputFloat64) {
  kata_test::meaning(
      "The loss or the rewards differ: loss = mean_b -logsigmoid(beta * ((pc - rc) - (pr - rr))), chosen_rewards "
      "= beta * (pc - rc), rejected_rewards = beta * (pr - rr).");
  for (int64_t B : {16, 5, 2}) {
    for (double beta : {0.1, 0.5}) KATA_ASSERT_OK(check_dpo(random_pairs(B, beta, torch::kFloat64, 4.0)));
  }
}

TEST(DpoLoss, OutputFloat32) {
  kata_test::explain(kata_test::Symptom::wrong_dtype,
                     "float32 log-probabilities give a float32 loss and float32 rewards: beta is a double, and "
                     "multiplying a tensor by a C++ double keeps the tensor's dtype; torch::tensor(beta) does not.");
  for (int64_t B : {16, 5, 2}) {
    for (double beta : {0.1, 0.5}) KATA_ASSERT_OK(check_dpo(random_pairs(B, beta, torch::kFloat32, 4.0)));
  }
}

TEST(DpoLoss, Gradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The loss must stay connected to all four inputs: detach only the rewards, never the loss or "
                     "what it is computed from.");
  kata_test::meaning(
      "The gradients of the loss differ from autograd's through the reference: d loss / d policy_chosen[b] = "
      "-beta * sigmoid(-z[b]) / B, policy_rejected the opposite, and the reference terms the negatives of "
      "those.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    KATA_ASSERT_OK(check_dpo_gradient(random_pairs(6, 0.1, dtype, 4.0)));
    KATA_ASSERT_OK(check_dpo_gradient(random_pairs(3, 1.0, dtype)));
  }
}

TEST(DpoLoss, EdgeShapes) {
  kata_test::meaning(
      "A batch of one, identical policy and reference (z = 0: loss log 2, rewards 0), a tiny or a large beta "
      "break solutions that squeeze dimensions or special-case values.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto p = random_pairs(3, 0.1, dtype);
    KATA_ASSERT_OK(check_dpo({p.pc, p.pr, p.pc.clone(), p.pr.clone(), 0.1}, "policy == reference: z = 0"));
    KATA_ASSERT_OK(check_dpo(random_pairs(1, 0.3, dtype), "B = 1"));
    KATA_ASSERT_OK(check_dpo(random_pairs(4, 1e-4, dtype), "beta 1e-4"));
    // beta 50 in float32: beta * pr - beta * rr (beta distributed, a right way to write it) rounds at ulp(3000) =
    // 2.4e-4 before cancelling (seed 513565: 1.8e-4 from the reference), so atol 2e-3 there.
    auto p50 = random_pairs(4, 50.0, dtype);
    KATA_ASSERT_OK(check_dpo(p50, p50, "beta 50",
                             dtype == torch::kFloat32 ? std::optional<kata_test::Tolerance>({1e-5, 2e-3}) : std::nullopt));
    KATA_ASSERT_OK(check_dpo_gradient(random_pairs(1, 0.3, dtype), "B = 1"));
  }
}

TEST(DpoLoss, NonContiguousInputs) {
  kata_test::meaning(
      "Views give different results: log-probabilities sliced out of a [B, 2] table (chosen and rejected side "
      "by side) or one reference value expanded to the batch. Use tensor ops, not data_ptr indexing.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto p = random_pairs(5, 0.1, dtype);
    auto policy = torch::stack({p.pc, p.pr}, 1), ref = torch::stack({p.rc, p.rr}, 1);  // (B, 2)
    Pairs views{policy.select(1, 0), policy.select(1, 1), ref.select(1, 0), ref.select(1, 1), p.beta};
    KATA_ASSERT_OK(check_dpo(views, p, "columns of [5, 2] tables"));
    auto one = torch::full({1}, -30.0, torch::kFloat64).to(dtype);
    Pairs expanded{p.pc, p.pr, one.expand({5}), one.expand({5}), p.beta};
    KATA_ASSERT_OK(check_dpo(expanded, {p.pc, p.pr, one.expand({5}).contiguous(), one.expand({5}).contiguous(), p.beta},
                             "ref_chosen and ref_rejected expanded from one value"));
    KATA_ASSERT_OK(check_dpo_gradient(views, "columns of [5, 2] tables"));
  }
}

TEST(DpoLoss, InputsUnchanged) {
  kata_test::meaning(
      "dpo_loss wrote into its inputs (an in-place op such as policy_chosen.sub_(ref_chosen) or mul_(beta)): the "
      "caller reuses the log-probabilities, so they must be left as they were.");
  auto p = random_pairs(4, 0.1, torch::kFloat64);
  Pairs before{p.pc.clone(), p.pr.clone(), p.rc.clone(), p.rr.clone(), p.beta};
  kata::dpo_loss(p.pc, p.pr, p.rc, p.rr, p.beta);
  const kata_test::Tolerance exact{0, 0};
  const std::string d = describe_pairs(before);
  KATA_ASSERT_OK(diff(p.pc, before.pc, "policy_chosen after the call", d, exact));
  KATA_ASSERT_OK(diff(p.pr, before.pr, "policy_rejected after the call", d, exact));
  KATA_ASSERT_OK(diff(p.rc, before.rc, "ref_chosen after the call", d, exact));
  KATA_ASSERT_OK(diff(p.rr, before.rr, "ref_rejected after the call", d, exact));
}

// ---- Both together: the DPO loss from the logits of the policy and of the frozen reference model.

TEST(Dpo, EndToEndGradients) {
  kata_test::explain(kata_test::Symptom::no_gradient,
                     "The loss must reach the policy's logits through sequence_logprob and dpo_loss: no .detach() "
                     "or .item() on the way.");
  kata_test::meaning(
      "From the policy's logits to the loss, the gradient differs from autograd's through the reference: "
      "sequence_logprob of the chosen and rejected responses (policy and reference), then dpo_loss.");
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    const int64_t B = 3, T = 7, V = 9;
    auto chosen = random_seq(B, T, V, dtype, response_mask(B, T));
    auto rejected = random_seq(B, T, V, dtype, response_mask(B, T));
    auto ref_c = (chosen.logits.to(torch::kFloat64) + torch::randn({B, T, V}, torch::kFloat64) * 0.3).to(dtype);
    auto ref_r = (rejected.logits.to(torch::kFloat64) + torch::randn({B, T, V}, torch::kFloat64) * 0.3).to(dtype);
    const double beta = 0.5;
    auto pipeline = [&](auto seq, auto dpo) {
      return [=](const std::vector<torch::Tensor>& in) {
        auto pc = seq(in[0], chosen.labels, chosen.mask), pr = seq(in[1], rejected.labels, rejected.mask);
        auto rc = seq(ref_c, chosen.labels, chosen.mask), rr = seq(ref_r, rejected.labels, rejected.mask);
        return std::get<0>(dpo(pc, pr, rc, rr, beta));
      };
    };
    auto weight = torch::randn({}, torch::kFloat64).to(dtype);
    std::vector<torch::Tensor> leaves = {chosen.logits, rejected.logits};
    KATA_ASSERT_OK(kata_test::backward_diff(
        kata_test::run_backward(pipeline(kata::sequence_logprob, kata::dpo_loss), leaves, weight),
        kata_test::run_backward(pipeline(reference::kata::sequence_logprob, reference::kata::dpo_loss), leaves,
                                weight),
        {"chosen logits", "rejected logits"},
        fmt::format("beta {}, chosen mask {}, rejected mask {}, {}; loss * w back to the policy's logits", beta,
                    rows_of(chosen.mask), rows_of(rejected.mask),
                    kata_test::describe({{"chosen logits", chosen.logits}, {"rejected logits", rejected.logits}})),
        dpo_tolerance(dtype)));
  }
}

}  // namespace

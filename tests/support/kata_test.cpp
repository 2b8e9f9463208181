#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "session.h"  // the run's worker, for what the kernel counts of its memory

namespace kata_test {
namespace {

uint64_t g_seed = 0;
Evidence g_evidence;  // of the check running now

// Index of the flat position `flat` in a tensor of these sizes, as "[i, j, k]".
std::string index_of(int64_t flat, c10::IntArrayRef sizes) {
  std::vector<int64_t> index(sizes.size());
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    index[d] = flat % sizes[d];
    flat /= sizes[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

// Enough digits that two different values print differently.
std::pair<std::string, std::string> distinct(double want, double got) {
  for (int digits = 8; digits < 17; ++digits) {
    auto w = fmt::format("{:.{}g}", want, digits), g = fmt::format("{:.{}g}", got, digits);
    if (w != g) return {w, g};
  }
  return {fmt::format("{:.17g}", want), fmt::format("{:.17g}", got)};
}

// "≈ sqrt(8)" when c is close to a number a formula would produce (n, 1/n, sqrt(n), 1/sqrt(n), negated).
std::string name_factor(double c) {
  auto close = [&](double x) { return std::abs(c - x) <= 2e-3 * std::abs(x); };
  std::string sign = c < 0 ? "-" : "";
  double a = std::abs(c);
  for (int n = 1; n <= 4096; ++n) {
    if (close(c < 0 ? -n : n)) return fmt::format(" (≈ {}{})", sign, n);
    if (close((c < 0 ? -1.0 : 1.0) / n)) return fmt::format(" (≈ {}1/{})", sign, n);
  }
  for (int n = 2; n <= 4096; ++n) {
    double r = std::sqrt(double(n));
    if (std::floor(r) == r) continue;
    if (std::abs(a - r) <= 2e-3 * r) return fmt::format(" (≈ {}sqrt({}))", sign, n);
    if (std::abs(a - 1 / r) <= 2e-3 / r) return fmt::format(" (≈ {}1/sqrt({}))", sign, n);
  }
  return "";
}

bool within(const torch::Tensor& err, const torch::Tensor& scale, Tolerance tol) {
  return (err <= tol.atol + tol.rtol * scale).all().item<bool>();
}

// "indices 2..5", "index 0", "indices 0, 3, 7"
std::string indices_text(const std::vector<int64_t>& idx) {
  if (idx.size() == 1) return fmt::format("index {}", idx[0]);
  if (idx.back() - idx.front() + 1 == static_cast<int64_t>(idx.size()))
    return fmt::format("indices {}..{}", idx.front(), idx.back());
  if (idx.size() <= 5) return fmt::format("indices {}", fmt::join(idx, ", "));
  return fmt::format("{} indices from {} to {}", idx.size(), idx.front(), idx.back());
}

// Where the wrong values are, when they are not everywhere: a triangle of the last two dimensions, or
// some indices of a dimension.
std::vector<std::string> where_wrong(const std::string& what, const torch::Tensor& bad_flat, c10::IntArrayRef sizes) {
  std::vector<std::string> out;
  auto bad = bad_flat.reshape(sizes);
  int64_t dims = bad.dim();
  if (dims >= 2 && sizes[dims - 1] == sizes[dims - 2] && sizes[dims - 1] >= 2) {
    auto square = dims > 2 ? bad.flatten(0, dims - 3).any(0) : bad;  // [n, n]
    int64_t n = sizes[dims - 1];
    auto i = torch::arange(n).unsqueeze(1), j = torch::arange(n).unsqueeze(0);
    struct Region {
      torch::Tensor mask;
      const char* name;
    };
    for (const auto& r : {Region{i == j, "on the diagonal (i == j)"}, Region{j > i, "above the diagonal (j > i)"},
                          Region{j < i, "below the diagonal (j < i)"}, Region{j >= i, "on and above the diagonal (j >= i)"},
                          Region{j <= i, "on and below the diagonal (j <= i)"}}) {
      if (!(square & ~r.mask).any().item<bool>()) {
        out.push_back(fmt::format("{} is wrong only {} of its last two dimensions", what, r.name));
        break;
      }
    }
  }
  for (int64_t d = 0; d < dims && out.size() < 2; ++d) {
    if (sizes[d] < 2) continue;
    auto along = bad.transpose(0, d).reshape({sizes[d], -1}).any(1);
    auto hit = along.nonzero().reshape({-1});
    if (hit.numel() == sizes[d]) continue;
    std::vector<int64_t> idx(hit.data_ptr<int64_t>(), hit.data_ptr<int64_t>() + hit.numel());
    out.push_back(fmt::format("{} is wrong only at {} of dimension {} (size {})", what, indices_text(idx), d, sizes[d]));
  }
  return out;
}

// What a person would notice comparing the two tensors, most specific first.
std::vector<std::string> value_findings(const std::string& what, const torch::Tensor& g, const torch::Tensor& w,
                                        const torch::Tensor& bad, int64_t n_bad, c10::IntArrayRef sizes,
                                        torch::ScalarType dtype, Tolerance tol) {
  std::vector<std::string> out;
  auto non_finite = ~g.isfinite() & w.isfinite();
  if (non_finite.any().item<bool>()) {
    out.push_back(fmt::format("{} has {} NaN and {} inf values where the expected values are finite", what,
                              (non_finite & g.isnan()).sum().item<int64_t>(),
                              (non_finite & g.isinf()).sum().item<int64_t>()));
    return out;
  }
  auto finite = g.isfinite() & w.isfinite();
  auto gf = g.masked_select(finite), wf = w.masked_select(finite);
  double ww = (wf * wf).sum().item<double>();
  bool all_zero = (gf == 0).all().item<bool>();
  if (all_zero) out.push_back(fmt::format("{} is all zeros", what));
  if (!all_zero && ww > 0) {
    double c = (gf * wf).sum().item<double>() / ww;
    double d = (gf - wf).mean().item<double>();
    if (within((gf - c * wf).abs(), (c * wf).abs(), tol))
      out.push_back(fmt::format("{}: got = expected × {:.6g}{}", what, c, name_factor(c)));
    else if (within((gf - wf - d).abs(), wf.abs(), tol))
      out.push_back(fmt::format("{}: got = expected + {:.6g} everywhere", what, d));
  }
  int64_t zeros = (bad & (g == 0) & (w != 0)).sum().item<int64_t>();
  if (!all_zero && zeros * 2 > n_bad)
    out.push_back(fmt::format("{} is exactly 0 at {} of the {} wrong positions, where the expected values are not",
                              what, zeros, n_bad));
  // Which values cross the tolerance is chance when the errors are rounding: where they are says nothing.
  auto err = (g - w).masked_select(bad);
  double worst_rel = (err.abs() / w.masked_select(bad).abs().clamp_min(1e-300)).max().item<double>();
  double up = (err > 0).to(torch::kFloat64).mean().item<double>();
  bool rounding = dtype == torch::kFloat64 && worst_rel <= 1e-4 && up > 0.1 && up < 0.9;
  if (dtype == torch::kFloat64 && worst_rel <= 1e-4) {
    if (rounding)
      out.push_back(fmt::format(
          "{} is off by at most {:.1g} relative, scattered up and down: the size of float32 rounding, so float32 "
          "precision somewhere in your computation (a constant, a mask or an intermediate made in float32 "
          "instead of the inputs' dtype?)",
          what, worst_rel));
    else
      out.push_back(fmt::format(
          "{} is off by at most {:.2g} relative, always {}: a small systematic difference (a constant such as "
          "an epsilon, or where it is added?)",
          what, worst_rel, up >= 0.9 ? "too large" : "too small"));
  }
  if (!rounding) {
    auto positions = where_wrong(what, bad, sizes);
    out.insert(out.end(), positions.begin(), positions.end());
  }
  return out;
}

// The failed values explained: how many, the largest errors and where, a few expected/got pairs.
std::string value_text(const std::string& what, const torch::Tensor& g, const torch::Tensor& w,
                       const torch::Tensor& bad, int64_t n_bad, c10::IntArrayRef sizes, Tolerance tol) {
  auto err = (g - w).abs();
  auto finite_err = torch::where(bad, err.nan_to_num(/*nan=*/INFINITY), torch::zeros_like(err));
  int64_t worst = finite_err.argmax().item<int64_t>();
  auto rel = torch::where(w != 0, finite_err / w.abs(), torch::zeros_like(err));  // relative to a 0 is meaningless
  int64_t worst_rel = rel.argmax().item<int64_t>();
  std::string out = fmt::format("{}: {} of {} values differ (tolerance: atol {:.2g}, rtol {:.2g})\n", what, n_bad,
                                g.numel(), tol.atol, tol.rtol);
  out += fmt::format("  max abs error {:.3g} at {}; max rel error {:.3g} at {}\n", err[worst].item<double>(),
                     index_of(worst, sizes), rel[worst_rel].item<double>(), index_of(worst_rel, sizes));
  auto positions = bad.nonzero().reshape({-1});
  for (int64_t i = 0; i < std::min<int64_t>(positions.numel(), 4); ++i) {
    int64_t p = positions[i].item<int64_t>();
    double want = w[p].item<double>(), got = g[p].item<double>();
    auto [ws, gs] = distinct(want, got);
    out += fmt::format("  at {}: expected {}, got {} (diff {:.2g})\n", index_of(p, sizes), ws, gs, got - want);
  }
  return out;
}

void add_symptom(Symptom s) {
  auto& symptoms = evidence().symptoms;
  if (std::find(symptoms.begin(), symptoms.end(), s) == symptoms.end()) symptoms.push_back(s);
}

// Every comparison is observed; the first failed one's findings and symptoms describe the check.
std::optional<std::string> observe(const std::string& what, const torch::Tensor& got, Tolerance tol,
                                   std::optional<std::string> failure, std::vector<std::string> findings,
                                   std::vector<Symptom> symptoms) {
  auto& e = evidence();
  e.observations.push_back({what, got.defined() ? got.detach().clone() : torch::Tensor(), tol, failure.has_value()});
  if (failure && e.findings.empty()) {
    e.findings = std::move(findings);
    for (Symptom s : symptoms) add_symptom(s);
  }
  return failure;
}

}  // namespace

std::string dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat64:
      return "float64";
    case torch::kInt64:
      return "int64";
    case torch::kBool:
      return "bool";
    default:
      return c10::toString(dtype);
  }
}

std::string shape_of(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

void set_run_seed(uint64_t seed) { g_seed = seed; }
uint64_t run_seed() { return g_seed; }

Tolerance tolerance_for(torch::ScalarType dtype) {
  // float64 reorderings differ by ~1e-15; 1e-10 leaves them a wide margin and rejects float32 arithmetic
  // (~6e-8 relative per operation) hidden inside a float64 run on every seed, not only on unlucky ones.
  if (dtype == torch::kFloat64) return {1e-10, 1e-10};
  return {1.3e-6, 1e-5};
}

std::string describe(const std::string& name, const torch::Tensor& t) {
  std::string s = fmt::format("{} {} {}", name, shape_of(t), dtype_name(t.scalar_type()));
  if (!t.is_contiguous()) s += " non-contiguous";
  return s;
}

std::string describe(const std::vector<std::pair<std::string, torch::Tensor>>& inputs) {
  std::vector<std::string> parts;
  for (const auto& [name, t] : inputs) parts.push_back(describe(name, t));
  return fmt::format("{}, seed {}", fmt::join(parts, ", "), run_seed());
}

Evidence& evidence() { return g_evidence; }
void clear_evidence() { g_evidence = Evidence(); }

void explain(Symptom when, const std::string& text) { g_evidence.explanations.emplace_back(when, text); }
void meaning(const std::string& text) { explain(Symptom::any, text); }

std::vector<std::string> findings_to_show() {
  auto shown = g_evidence.findings;
  auto present = [&](Symptom s) {
    const auto& all = g_evidence.symptoms;
    return std::find(all.begin(), all.end(), s) != all.end();
  };
  for (const auto& [when, text] : g_evidence.explanations)
    if (when != Symptom::any && present(when)) shown.push_back(text);
  for (const auto& [when, text] : g_evidence.explanations)
    if (when == Symptom::any) shown.push_back(text);
  return shown;
}

bool same_observations(const std::vector<Observation>& a, const std::vector<Observation>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i], &y = b[i];
    if (x.what != y.what || x.failed != y.failed || x.got.defined() != y.got.defined()) return false;
    if (!x.got.defined()) continue;
    if (x.got.sizes() != y.got.sizes() || x.got.scalar_type() != y.got.scalar_type()) return false;
    if (!x.got.is_floating_point()) {
      if (!x.got.equal(y.got)) return false;
      continue;
    }
    auto g = x.got.to(torch::kFloat64), w = y.got.to(torch::kFloat64);
    auto same = ((g - w).abs() <= x.tol.atol + x.tol.rtol * w.abs()) | (g.isnan() & w.isnan()) | (g == w);
    if (!same.all().item<bool>()) return false;
  }
  return true;
}

std::optional<std::string> diff(const torch::Tensor& got, const torch::Tensor& want, const std::string& what,
                                const std::string& case_description, std::optional<Tolerance> maybe_tol) {
  Tolerance tol = maybe_tol.value_or(tolerance_for(want.scalar_type()));
  if (!got.defined())
    return observe(what, got, tol, fmt::format("{}: an undefined tensor was returned\ncase: {}", what, case_description),
                   {what + " is an undefined tensor: nothing was returned"}, {});
  if (got.sizes() != want.sizes()) {
    std::string finding = fmt::format("{} has shape {}, expected {}", what, shape_of(got), shape_of(want));
    auto sorted = [](c10::IntArrayRef s) {
      std::vector<int64_t> v(s.begin(), s.end());
      std::sort(v.begin(), v.end());
      return v;
    };
    if (got.numel() == want.numel() && sorted(got.sizes()) == sorted(want.sizes()))
      finding += ": the right sizes in another order (a transpose or permute missing, or the wrong one?)";
    else if (got.numel() == want.numel())
      finding += ": the right number of values in another shape (a reshape or view to the wrong sizes?)";
    return observe(what, got, tol, finding + "\ncase: " + case_description, {finding}, {Symptom::wrong_shape});
  }
  if (got.scalar_type() != want.scalar_type()) {
    std::string finding =
        fmt::format("{} has dtype {}, expected {} (take the dtype from the inputs, e.g. x.options())", what,
                    dtype_name(got.scalar_type()), dtype_name(want.scalar_type()));
    return observe(what, got, tol, finding + "\ncase: " + case_description, {finding}, {Symptom::wrong_dtype});
  }
  auto g = got.detach().to(torch::kFloat64).contiguous().reshape({-1});
  auto w = want.detach().to(torch::kFloat64).contiguous().reshape({-1});
  auto both_nan = g.isnan() & w.isnan();
  auto bad = (((g - w).abs() > tol.atol + tol.rtol * w.abs()) | (g.isfinite() != w.isfinite()) | g.isnan()) & ~both_nan;
  int64_t n_bad = bad.sum().item<int64_t>();
  if (n_bad == 0) return observe(what, got, tol, std::nullopt, {}, {});
  auto findings = value_findings(what, g, w, bad, n_bad, want.sizes(), want.scalar_type(), tol);
  std::vector<Symptom> symptoms;
  if ((~g.isfinite() & w.isfinite()).any().item<bool>()) symptoms.push_back(Symptom::non_finite);
  if (!findings.empty() && findings.back().find("float32 precision") != std::string::npos)
    symptoms.push_back(Symptom::precision);
  return observe(what, got, tol, value_text(what, g, w, bad, n_bad, want.sizes(), tol) + "case: " + case_description,
                 findings, symptoms);
}

Backward run_backward(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                      const std::vector<torch::Tensor>& leaves, const torch::Tensor& weight,
                      const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> inputs, differentiable;
  for (const auto& leaf : leaves) {
    auto copy = leaf.detach().clone();
    if (copy.is_floating_point()) {
      copy.requires_grad_(true);
      differentiable.push_back(copy);
    }
    inputs.push_back(copy);
  }
  // A frozen parameter (requires_grad false) gets no gradient: autograd::grad would throw on it.
  std::vector<torch::Tensor> trainable;
  for (const auto& p : parameters)
    if (p.defined() && p.requires_grad()) trainable.push_back(p);
  differentiable.insert(differentiable.end(), trainable.begin(), trainable.end());
  Backward result;
  auto out = f(inputs);
  if (!out.defined()) return {out, {}, "the output is an undefined tensor"};
  result.out = out.detach();
  if (!out.requires_grad()) {
    result.error =
        "the output is not connected to the autograd graph (a .detach(), .data(), NoGradGuard or a "
        "tensor rebuilt from values cuts it), so no gradient can flow back";
    return result;
  }
  if (out.sizes() != weight.sizes()) return result;  // the output comparison reports the shape
  auto grads = torch::autograd::grad({out}, differentiable, {weight.to(out.dtype())}, /*retain_graph=*/false,
                                     /*create_graph=*/false, /*allow_unused=*/true);
  size_t next = 0;
  for (const auto& input : inputs) result.grads.push_back(input.is_floating_point() ? grads[next++] : torch::Tensor());
  for (const auto& p : parameters)
    result.grads.push_back(p.defined() && p.requires_grad() ? grads[next++] : torch::Tensor());
  return result;
}

std::optional<std::string> backward_diff(const Backward& got, const Backward& want,
                                         const std::vector<std::string>& leaf_names,
                                         const std::string& case_description, std::optional<Tolerance> tol) {
  if (auto e = diff(got.out, want.out, "output", case_description, tol)) return e;
  if (!got.error.empty()) {
    add_symptom(Symptom::no_gradient);
    return observe("gradient", {}, {}, fmt::format("{}\ncase: {}", got.error, case_description), {got.error}, {});
  }
  for (size_t i = 0; i < want.grads.size(); ++i) {
    if (!want.grads[i].defined()) continue;
    std::string what = "gradient w.r.t. " + leaf_names[i];
    if (i >= got.grads.size() || !got.grads[i].defined()) {
      add_symptom(Symptom::no_gradient);
      std::string finding = what + ": no gradient reached it (is it used through a detached or rebuilt tensor?)";
      return observe(what, {}, {}, finding + "\ncase: " + case_description, {finding}, {});
    }
    bool first_failure = evidence().findings.empty();
    if (auto e = diff(got.grads[i], want.grads[i], what, case_description, tol)) {
      if (!first_failure) return e;
      add_symptom(Symptom::gradient_only);
      evidence().findings.push_back(fmt::format("the output matches: only the gradients differ, from {} on", what));
      return e;
    }
  }
  return std::nullopt;
}

std::optional<std::string> property(bool holds, const std::string& what, const std::string& failure) {
  return observe(what, torch::tensor(holds ? 1.0 : 0.0), Tolerance{0, 0},
                 holds ? std::nullopt : std::optional<std::string>(failure), {failure.substr(0, failure.find('\n'))}, {});
}

torch::Tensor random_padding(int64_t batch, int64_t len) {
  auto lengths = torch::randint(1, std::max<int64_t>(len, 2), {batch});
  lengths.index_put_({batch - 1}, len);
  return torch::arange(len).unsqueeze(0) >= lengths.unsqueeze(1);
}

std::optional<int64_t> memory_rise(const std::function<void()>& calls) {
  return kata_remote::Session::get().memory_rise(calls);
}

void fail_memory_limit(const std::string& why) {
  kata_remote::Session::get().fail(kata_remote::Failure::memory_limit, why);
  ADD_FAILURE() << why;
}

torch::Tensor non_contiguous(const torch::Tensor& t) {
  // Store the values with the last two dimensions swapped, then swap them back as a view.
  if (t.dim() < 2) return torch::stack({t, t}, -1).select(-1, 0);
  return t.transpose(-1, -2).contiguous().transpose(-1, -2);
}

std::optional<std::string> contract_mismatch(const torch::nn::Module& learner, const torch::nn::Module& reference) {
  auto mine = learner.named_parameters(), want = reference.named_parameters();
  if (mine.is_empty() && !want.is_empty())
    return "your module has no parameters: is register_module(...) / register_parameter(...) never called?";
  std::vector<std::string> problems;
  for (const auto& p : want) {
    const torch::Tensor* found = mine.find(p.key());
    if (!found) {
      problems.push_back(fmt::format("missing parameter {} (expected shape {})", p.key(), shape_of(p.value())));
    } else if (found->sizes() != p.value().sizes()) {
      problems.push_back(
          fmt::format("parameter {} has shape {}, expected {}", p.key(), shape_of(*found), shape_of(p.value())));
    }
  }
  for (const auto& p : mine) {
    if (!want.contains(p.key()) && p.value().requires_grad())
      problems.push_back(fmt::format("unexpected parameter {} {}", p.key(), shape_of(p.value())));
  }
  if (problems.empty()) return std::nullopt;
  std::vector<std::string> expected;
  for (const auto& p : want) expected.push_back(p.key() + " " + shape_of(p.value()));
  // Observed as text: a known mistake in the parameters matches by the same problems.
  std::string found = fmt::format("{}", fmt::join(problems, "; "));
  return observe("parameters: " + found, {}, {},
                 fmt::format("{}\n  the contract's parameters: {}", fmt::join(problems, "\n  "), fmt::join(expected, ", ")),
                 {"parameters: " + found}, {});
}

void copy_parameters(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto mine = to.named_parameters();
  for (const auto& p : from.named_parameters()) mine[p.key()].copy_(p.value());
}

std::vector<torch::Tensor> parameters_named(const torch::nn::Module& module, const std::vector<std::string>& names) {
  auto params = module.named_parameters();
  std::vector<torch::Tensor> found;
  for (const auto& name : names) found.push_back(params.contains(name) ? params[name] : torch::Tensor());
  return found;
}

}  // namespace kata_test

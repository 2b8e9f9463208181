#include "kata_test.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace kata_test {
namespace {

uint64_t g_seed = 0;

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

// Index of the flat position `flat` in a tensor of these sizes, as "[i, j, k]".
std::string index_of(int64_t flat, c10::IntArrayRef sizes) {
  std::vector<int64_t> index(sizes.size());
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    index[d] = flat % sizes[d];
    flat /= sizes[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

std::string value_diff(const std::string& what, const torch::Tensor& got, const torch::Tensor& want, Tolerance tol,
                       const std::string& case_description) {
  auto g = got.detach().to(torch::kFloat64).contiguous().reshape({-1});
  auto w = want.detach().to(torch::kFloat64).contiguous().reshape({-1});
  auto err = (g - w).abs();
  auto both_nan = g.isnan() & w.isnan();
  auto bad = ((err > tol.atol + tol.rtol * w.abs()) | (g.isfinite() != w.isfinite()) | g.isnan()) & ~both_nan;
  int64_t n_bad = bad.sum().item<int64_t>();
  if (n_bad == 0) return "";

  auto finite_err = torch::where(bad, err.nan_to_num(/*nan=*/INFINITY), torch::zeros_like(err));
  int64_t worst = finite_err.argmax().item<int64_t>();
  auto rel = torch::where(w != 0, finite_err / w.abs(), torch::zeros_like(err));  // relative to a 0 is meaningless
  int64_t worst_rel = rel.argmax().item<int64_t>();
  std::string out = fmt::format("{}: {} of {} values differ (tolerance: atol {:.2g}, rtol {:.2g})\n", what, n_bad,
                                g.numel(), tol.atol, tol.rtol);
  out += fmt::format("  max abs error {:.3g} at {}; max rel error {:.3g} at {}\n", err[worst].item<double>(),
                     index_of(worst, want.sizes()), rel[worst_rel].item<double>(), index_of(worst_rel, want.sizes()));
  auto positions = bad.nonzero().reshape({-1});
  for (int64_t i = 0; i < std::min<int64_t>(positions.numel(), 4); ++i) {
    int64_t p = positions[i].item<int64_t>();
    out += fmt::format("  at {}: expected {:.8g}, got {:.8g}\n", index_of(p, want.sizes()), w[p].item<double>(),
                       g[p].item<double>());
  }
  return out + "case: " + case_description;
}

}  // namespace

std::string shape_of(const torch::Tensor& t) { return fmt::format("[{}]", fmt::join(t.sizes(), ", ")); }

void set_run_seed(uint64_t seed) { g_seed = seed; }
uint64_t run_seed() { return g_seed; }

Tolerance tolerance_for(torch::ScalarType dtype) {
  if (dtype == torch::kFloat64) return {1e-7, 1e-7};
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

void meaning(const std::string& text) { ::testing::Test::RecordProperty("meaning", text); }

std::optional<std::string> diff(const torch::Tensor& got, const torch::Tensor& want, const std::string& what,
                                const std::string& case_description, std::optional<Tolerance> tol) {
  if (!got.defined()) return fmt::format("{}: an undefined tensor was returned\ncase: {}", what, case_description);
  if (got.sizes() != want.sizes())
    return fmt::format("{} has shape {}, expected {}\ncase: {}", what, shape_of(got), shape_of(want), case_description);
  if (got.scalar_type() != want.scalar_type())
    return fmt::format("{} has dtype {}, expected {} (take the dtype from the inputs, e.g. x.options())\ncase: {}",
                       what, dtype_name(got.scalar_type()), dtype_name(want.scalar_type()), case_description);
  std::string diff = value_diff(what, got, want, tol.value_or(tolerance_for(want.scalar_type())), case_description);
  if (diff.empty()) return std::nullopt;
  return diff;
}

Backward run_backward(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                      const std::vector<torch::Tensor>& leaves, const torch::Tensor& weight) {
  std::vector<torch::Tensor> inputs, differentiable;
  for (const auto& leaf : leaves) {
    auto copy = leaf.detach().clone();
    if (copy.is_floating_point()) {
      copy.requires_grad_(true);
      differentiable.push_back(copy);
    }
    inputs.push_back(copy);
  }
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
  return result;
}

std::optional<std::string> backward_diff(const Backward& got, const Backward& want,
                                         const std::vector<std::string>& leaf_names,
                                         const std::string& case_description, std::optional<Tolerance> tol) {
  if (auto e = diff(got.out, want.out, "output", case_description, tol)) return e;
  if (!got.error.empty()) return fmt::format("{}\ncase: {}", got.error, case_description);
  for (size_t i = 0; i < want.grads.size(); ++i) {
    if (!want.grads[i].defined()) continue;
    std::string what = "gradient w.r.t. " + leaf_names[i];
    if (i >= got.grads.size() || !got.grads[i].defined())
      return fmt::format("{}: no gradient reached it (is it used through a detached or rebuilt tensor?)\ncase: {}",
                         what, case_description);
    if (auto e = diff(got.grads[i], want.grads[i], what, case_description, tol)) return e;
  }
  return std::nullopt;
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
  return fmt::format("{}\n  the contract's parameters: {}", fmt::join(problems, "\n  "), fmt::join(expected, ", "));
}

void copy_parameters(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto mine = to.named_parameters();
  for (const auto& p : from.named_parameters()) mine[p.key()].copy_(p.value());
}

}  // namespace kata_test

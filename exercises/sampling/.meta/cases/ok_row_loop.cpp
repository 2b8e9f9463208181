// expect: accepted
// why: one row at a time in plain C++, as on a whiteboard: the row copied out as doubles, std::stable_sort of the ids by value (ties keep the lower id first), the top-k and top-p masks as flags, a softmax by hand over the kept tokens and a running sum compared with u; computing in double from float32 logits changes no decision, since the checks keep every boundary far from rounding
#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace kata {
namespace {

const double kInf = std::numeric_limits<double>::infinity();

std::vector<double> row_of(const torch::Tensor& logits, int64_t b) {
  auto r = logits[b].to(torch::kFloat64).contiguous();
  return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

std::vector<int64_t> by_value(const std::vector<double>& x) {
  std::vector<int64_t> ids(x.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) { return x[a] > x[b]; });
  return ids;
}

std::vector<bool> keep_top_k(const std::vector<double>& x, int64_t k) {
  const int64_t V = static_cast<int64_t>(x.size());
  std::vector<bool> keep(V, k == 0 || k >= V);
  if (k == 0 || k >= V) return keep;
  auto ids = by_value(x);
  for (int64_t i = 0; i < k; ++i) keep[ids[i]] = true;
  return keep;
}

std::vector<double> softmax(const std::vector<double>& x) {
  double m = -kInf, sum = 0;
  for (double v : x) m = std::max(m, v);
  std::vector<double> p(x.size());
  for (size_t i = 0; i < x.size(); ++i) sum += (p[i] = std::isfinite(x[i]) ? std::exp(x[i] - m) : 0.0);
  for (double& v : p) v /= sum;
  return p;
}

std::vector<bool> keep_top_p(const std::vector<double>& x, double p) {
  auto probs = softmax(x);
  std::vector<bool> keep(x.size(), false);
  double before = 0;
  for (int64_t id : by_value(x)) {
    keep[id] = std::isfinite(x[id]) && (p >= 1.0 || before < p);
    before += probs[id];
  }
  return keep;
}

torch::Tensor to_mask(const std::vector<std::vector<bool>>& rows, int64_t V) {
  auto mask = torch::zeros({static_cast<int64_t>(rows.size()), V}, torch::kBool);
  auto a = mask.accessor<bool, 2>();
  for (size_t b = 0; b < rows.size(); ++b)
    for (int64_t v = 0; v < V; ++v) a[b][v] = rows[b][v];
  return mask;
}

}  // namespace

torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k) {
  std::vector<std::vector<bool>> rows;
  for (int64_t b = 0; b < logits.size(0); ++b) rows.push_back(keep_top_k(row_of(logits, b), k));
  return to_mask(rows, logits.size(1));
}

torch::Tensor top_p_mask(const torch::Tensor& logits, double p) {
  std::vector<std::vector<bool>> rows;
  for (int64_t b = 0; b < logits.size(0); ++b) rows.push_back(keep_top_p(row_of(logits, b), p));
  return to_mask(rows, logits.size(1));
}

torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u) {
  auto uu = u.to(torch::kFloat64).contiguous();
  std::vector<int64_t> out;
  for (int64_t b = 0; b < logits.size(0); ++b) {
    auto x = row_of(logits, b);
    if (temperature == 0.0) {
      out.push_back(std::max_element(x.begin(), x.end()) - x.begin());  // the first maximum
      continue;
    }
    for (double& v : x) v /= temperature;
    auto k_keep = keep_top_k(x, top_k);
    for (size_t v = 0; v < x.size(); ++v)
      if (!k_keep[v]) x[v] = -kInf;
    auto p_keep = keep_top_p(x, top_p);
    for (size_t v = 0; v < x.size(); ++v)
      if (!p_keep[v]) x[v] = -kInf;
    auto q = softmax(x);
    double cum = 0;
    int64_t pick = -1;
    for (int64_t id : by_value(x)) {
      if (!std::isfinite(x[id])) break;
      pick = id;
      cum += q[id];
      if (cum > uu.data_ptr<double>()[b]) break;
    }
    out.push_back(pick);
  }
  return torch::tensor(out, torch::kInt64);
}

}  // namespace kata

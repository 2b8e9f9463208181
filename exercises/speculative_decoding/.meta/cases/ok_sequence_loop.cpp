// expect: accepted
// why: the whiteboard version: the two distributions with elementwise tensor ops (they must stay differentiable), and the acceptance step one sequence at a time in plain C++ on doubles: a for loop that breaks at the first rejection, then a running sum walked over the ids in vocabulary order; computing in double from float32 inputs changes no decision, since the checks keep every u far from every boundary or on exact binary fractions
#include "speculative_decoding.h"

#include <vector>

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t B = q.size(0), k = q.size(1);
  std::vector<torch::Tensor> rows;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<torch::Tensor> row;
    for (int64_t i = 0; i < k; ++i) {
      const int64_t x = draft[b][i].item<int64_t>();
      auto px = p[b][i][x], qx = q[b][i][x];
      // q <= p (q == 0 included): always accepted; otherwise p / q < 1
      row.push_back(qx.item<double>() <= px.item<double>() ? torch::ones_like(px) : px / qx);
    }
    rows.push_back(torch::stack(row));
  }
  return torch::stack(rows);
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  auto r = torch::where(p > q, p - q, torch::zeros_like(p));
  auto total = r.sum(-1, /*keepdim=*/true);
  auto has_mass = total > 0;
  return torch::where(has_mass, r / total.masked_fill(~has_mass, 1.0), p);
}

namespace {

std::vector<double> to_doubles(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// first id whose running sum exceeds u; the last id of nonzero probability if none does
int64_t inverse_cdf(const std::vector<double>& probs, double u) {
  double cum = 0;
  int64_t last = 0;
  for (size_t v = 0; v < probs.size(); ++v) {
    if (probs[v] > 0) last = static_cast<int64_t>(v);
    cum += probs[v];
    if (probs[v] > 0 && cum > u) return static_cast<int64_t>(v);
  }
  return last;
}

}  // namespace

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1), V = q.size(2);
  // everything copied out once, row-major: P[(b * (k + 1) + i) * V + v], Q[(b * k + i) * V + v]
  const auto P = to_doubles(p), Q = to_doubles(q), UA = to_doubles(u_accept), US = to_doubles(u_sample);
  auto x_all = draft.contiguous();
  const int64_t* X = x_all.data_ptr<int64_t>();
  auto tokens = torch::full({B, k + 1}, -1, torch::kInt64);
  auto n_accepted = torch::zeros({B}, torch::kInt64);
  auto out = tokens.accessor<int64_t, 2>();
  auto n_out = n_accepted.accessor<int64_t, 1>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    std::vector<double> dist(V);
    for (; n < k; ++n) {
      const double* pn = &P[(b * (k + 1) + n) * V];
      const double* qn = &Q[(b * k + n) * V];
      const int64_t x = X[b * k + n];
      const double a = qn[x] <= pn[x] ? 1.0 : pn[x] / qn[x];
      if (UA[b * k + n] < a) {
        out[b][n] = x;
        continue;
      }
      double total = 0;  // rejected: the residual max(0, p - q), normalised
      for (int64_t v = 0; v < V; ++v) total += (dist[v] = pn[v] > qn[v] ? pn[v] - qn[v] : 0.0);
      for (double& d : dist) d /= total;
      break;
    }
    if (n == k) dist.assign(&P[(b * (k + 1) + k) * V], &P[(b * (k + 1) + k) * V] + V);  // the bonus row
    out[b][n] = inverse_cdf(dist, US[b]);
    n_out[b] = n;
  }
  return {tokens, n_accepted};
}

}  // namespace kata

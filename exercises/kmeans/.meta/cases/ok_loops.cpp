// expect: accepted
// why: plain C++ loops in double, as on a whiteboard: each point's nearest centroid by a running minimum (strict <, so ties keep the lower index), sums and counts per cluster, the move as sqrt of summed squares, and k-means++ by a running sum of D2 compared with u * sum(D2); results converted to x's dtype, which changes no decision since the checks keep every boundary far from rounding
#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace kata {
namespace {

// The rows of a [R, D] tensor as doubles, row-major.
std::vector<double> as_doubles(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

double squared_distance(const double* a, const double* b, int64_t D) {
  double s = 0;
  for (int64_t d = 0; d < D; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
  return s;
}

}  // namespace

torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids) {
  const int64_t N = x.size(0), K = centroids.size(0), D = x.size(1);
  auto xs = as_doubles(x), cs = as_doubles(centroids);
  std::vector<int64_t> ids(N, 0);
  for (int64_t i = 0; i < N; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int64_t k = 0; k < K; ++k) {
      double d = squared_distance(&xs[i * D], &cs[k * D], D);
      if (d < best) {  // strict: an equally near centroid later on does not replace the first
        best = d;
        ids[i] = k;
      }
    }
  }
  return torch::tensor(ids, torch::kInt64);
}

torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids) {
  const int64_t N = x.size(0), K = centroids.size(0), D = x.size(1);
  auto xs = as_doubles(x), cs = as_doubles(centroids);
  auto a = assignments.contiguous();
  std::vector<double> sums(K * D, 0.0);
  std::vector<int64_t> counts(K, 0);
  for (int64_t i = 0; i < N; ++i) {
    int64_t k = a[i].item<int64_t>();
    ++counts[k];
    for (int64_t d = 0; d < D; ++d) sums[k * D + d] += xs[i * D + d];
  }
  for (int64_t k = 0; k < K; ++k)
    for (int64_t d = 0; d < D; ++d) cs[k * D + d] = counts[k] ? sums[k * D + d] / counts[k] : cs[k * D + d];
  return torch::tensor(cs, torch::kFloat64).reshape({K, D}).to(x.scalar_type());
}

KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol) {
  const int64_t K = init.size(0), D = init.size(1);
  torch::Tensor c = init.clone();
  int64_t iterations = 0;
  while (iterations < max_iters) {
    torch::Tensor next = update_centroids(x, assign_clusters(x, c), c);
    auto before = as_doubles(c), after = as_doubles(next);
    double moved = 0;
    for (int64_t k = 0; k < K; ++k) moved = std::max(moved, std::sqrt(squared_distance(&before[k * D], &after[k * D], D)));
    c = next;
    ++iterations;
    if (moved <= tol) break;
  }
  return {c, assign_clusters(x, c), iterations};
}

torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u) {
  const int64_t N = x.size(0), D = x.size(1);
  auto xs = as_doubles(x), us = as_doubles(u.reshape({-1, 1}));
  std::vector<int64_t> chosen{std::min<int64_t>(static_cast<int64_t>(us[0] * N), N - 1)};
  std::vector<double> d2(N);
  for (int64_t i = 0; i < N; ++i) d2[i] = squared_distance(&xs[i * D], &xs[chosen[0] * D], D);
  for (int64_t j = 1; j < k; ++j) {
    double total = 0;
    for (double v : d2) total += v;
    int64_t pick = -1, last_positive = 0;
    double running = 0;
    for (int64_t i = 0; i < N; ++i) {
      if (d2[i] > 0) last_positive = i;
      running += d2[i];
      if (pick < 0 && running > us[j] * total) pick = i;
    }
    if (pick < 0) pick = last_positive;
    chosen.push_back(pick);
    for (int64_t i = 0; i < N; ++i) d2[i] = std::min(d2[i], squared_distance(&xs[i * D], &xs[pick * D], D));
  }
  return x.index_select(0, torch::tensor(chosen, torch::kInt64)).clone();
}

}  // namespace kata

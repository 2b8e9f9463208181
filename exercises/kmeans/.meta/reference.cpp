#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kata {

// Squared Euclidean distance of every point to every centroid.
static torch::Tensor squared_distances(const torch::Tensor& x, const torch::Tensor& c) {
  return (x.unsqueeze(1) - c.unsqueeze(0)).pow(2).sum(/*dim=*/-1);  // (N, K)
}

torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids) {
  return squared_distances(x, centroids).argmin(/*dim=*/1);  // (N,) int64, the first minimum: lowest index
}

torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids) {
  const int64_t K = centroids.size(0);
  auto sums = torch::zeros_like(centroids).index_add(/*dim=*/0, assignments, x);  // (K, D)
  auto counts = torch::zeros({K}, x.options()).index_add(/*dim=*/0, assignments, torch::ones_like(x.select(1, 0)));
  auto means = sums / counts.clamp_min(1).unsqueeze(1);                                 // (K, D)
  return torch::where((counts > 0).unsqueeze(1), means, centroids);                    // (K, D) empty: kept
}

// How far the centroid that moved most moved (Euclidean).
static double largest_move(const torch::Tensor& before, const torch::Tensor& after) {
  return (after - before).pow(2).sum(/*dim=*/-1).sqrt().max().item<double>();  // scalar
}

KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol) {
  auto c = init.clone();  // (K, D)
  int64_t t = 0;
  while (t < max_iters) {
    auto next = update_centroids(x, assign_clusters(x, c), c);  // (K, D)
    const double moved = largest_move(c, next);
    c = next;
    ++t;  // this update counts, also when it meets the tolerance
    if (moved <= tol) break;
  }
  return {c, assign_clusters(x, c), t};  // assignments for the returned centroids
}

torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u) {
  const int64_t N = x.size(0);
  auto draws = u.to(torch::kFloat64).contiguous();  // (k,)
  const double* uu = draws.data_ptr<double>();
  std::vector<int64_t> chosen{std::min<int64_t>(static_cast<int64_t>(std::floor(uu[0] * N)), N - 1)};
  auto d2 = (x - x[chosen[0]]).pow(2).sum(/*dim=*/-1);  // (N,) squared distance to the nearest chosen centre
  for (int64_t j = 1; j < k; ++j) {
    auto cdf = (d2 / d2.sum()).cumsum(/*dim=*/0);                     // (N,) non-decreasing
    int64_t i = (cdf <= uu[j]).sum().item<int64_t>();                 // the first index with cdf > u[j]
    if (i == N) i = d2.gt(0).nonzero().max().item<int64_t>();         // rounding: the last point with D2 > 0
    chosen.push_back(i);
    d2 = torch::minimum(d2, (x - x[i]).pow(2).sum(/*dim=*/-1));       // (N,) 0 at every chosen point
  }
  return x.index_select(/*dim=*/0, torch::tensor(chosen, torch::kInt64));  // (k, D) copies of rows of x
}

}  // namespace kata

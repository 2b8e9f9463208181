// expect: accepted
// why: vectorised another way: distances by the expansion ||x||^2 - 2 x c^T + ||c||^2 (one matmul, clamped at 0), the update as a one-hot matmul with counts from its column sums, the stop rule on squared moves against tol^2, and k-means++ with searchsorted(right = true) on the running sum of D2 against u * sum(D2)
#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kata {

torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids) {
  auto xx = x.pow(2).sum(1, /*keepdim=*/true);                 // (N, 1)
  auto cc = centroids.pow(2).sum(1).unsqueeze(0);              // (1, K)
  auto d2 = (xx - 2 * x.matmul(centroids.t()) + cc).clamp_min(0);  // (N, K)
  return d2.argmin(1);
}

torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids) {
  auto onehot = torch::one_hot(assignments, centroids.size(0)).to(x.scalar_type());  // (N, K)
  auto counts = onehot.sum(0).unsqueeze(1);                                            // (K, 1)
  auto means = onehot.t().matmul(x) / counts.clamp_min(1);                             // (K, D)
  return torch::where(counts > 0, means, centroids);
}

KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol) {
  KMeansResult r{init.clone(), torch::Tensor(), 0};
  while (r.iterations < max_iters) {
    auto next = update_centroids(x, assign_clusters(x, r.centroids), r.centroids);
    const double moved2 = (next - r.centroids).pow(2).sum(1).max().item<double>();
    r.centroids = next;
    r.iterations += 1;
    if (moved2 <= tol * tol) break;  // sqrt is monotonic: moved <= tol
  }
  r.assignments = assign_clusters(x, r.centroids);
  return r;
}

torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u) {
  const int64_t N = x.size(0);
  auto draws = u.to(torch::kFloat64);
  auto first = torch::floor(draws.slice(0, 0, 1) * N).to(torch::kInt64).clamp_max(N - 1);  // (1,)
  auto picked = first;
  auto d2 = (x - x.index_select(0, first)).pow(2).sum(1).to(torch::kFloat64);  // (N,)
  for (int64_t j = 1; j < k; ++j) {
    auto running = d2.cumsum(0);                                   // (N,)
    auto target = draws.slice(0, j, j + 1) * running[-1];          // (1,) u[j] * sum(D2)
    auto i = torch::searchsorted(running, target, /*out_int32=*/false, /*right=*/true);  // first running > target
    if (i.item<int64_t>() >= N) i = d2.gt(0).nonzero().max().reshape({1});
    picked = torch::cat({picked, i});
    d2 = torch::minimum(d2, (x - x.index_select(0, i)).pow(2).sum(1).to(torch::kFloat64));
  }
  return x.index_select(0, picked);
}

}  // namespace kata

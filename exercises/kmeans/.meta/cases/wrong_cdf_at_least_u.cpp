// expect: wrong_answer KMeansPlusPlus.ChosenPointsAreNeverDrawn
// mistake: the draw takes the first cumulative sum >= u instead of > u
// why: a chosen point has D2 = 0, so its cumulative sum equals the previous one; taking the first index with cdf >= u (searchsorted's default left side) returns row 0 when u = 0 even though it is already a centre, and the point before the right one when u equals a cumulative sum; count the cdf values <= u (the first index with cdf > u)
#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace kata {

torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids) {
  auto d2 = (x.unsqueeze(1) - centroids.unsqueeze(0)).pow(2).sum(-1);  // (N, K)
  return d2.argmin(1);
}

torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids) {
  const int64_t K = centroids.size(0);
  auto onehot = torch::one_hot(assignments, K).to(x.scalar_type());  // (N, K)
  auto counts = onehot.sum(0);                                       // (K,)
  auto sums = onehot.t().mm(x);                                      // (K, D)
  auto means = sums / counts.clamp_min(1).unsqueeze(1);
  return torch::where((counts > 0).unsqueeze(1), means, centroids);
}

KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol) {
  auto c = init.clone();
  int64_t iters = 0;
  for (int64_t t = 0; t < max_iters; ++t) {
    auto a = assign_clusters(x, c);
    auto next = update_centroids(x, a, c);
    double moved = (next - c).norm(2, 1).max().item<double>();
    c = next;
    iters = t + 1;
    if (moved <= tol) break;
  }
  return {c, assign_clusters(x, c), iters};
}

torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u) {
  const int64_t N = x.size(0);
  auto uu = u.to(torch::kFloat64).contiguous();
  std::vector<int64_t> idx;
  idx.push_back(std::min<int64_t>(static_cast<int64_t>(std::floor(uu[0].item<double>() * N)), N - 1));
  auto d2 = (x - x[idx[0]]).pow(2).sum(1);  // (N,)
  for (int64_t j = 1; j < k; ++j) {
    auto cdf = (d2 / d2.sum()).cumsum(0);
    int64_t i = (cdf < uu[j].item<double>()).sum().item<int64_t>();
    if (i >= N) i = d2.gt(0).nonzero().max().item<int64_t>();
    idx.push_back(i);
    d2 = torch::minimum(d2, (x - x[i]).pow(2).sum(1));
  }
  return x.index_select(0, torch::tensor(idx, torch::kInt64));
}

}  // namespace kata

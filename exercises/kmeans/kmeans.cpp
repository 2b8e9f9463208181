// Your solution: implement kata::assign_clusters, kata::update_centroids, kata::kmeans and
// kata::kmeans_plus_plus as README.md and kmeans.h describe. Judge it with: ./kata judge kmeans
#include "kmeans.h"

namespace kata {

torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids) {
  // x: (N, D), centroids: (K, D). TODO: the nearest centroid of each point, ties to the lowest index
  return torch::zeros({x.size(0)}, torch::kInt64);  // TODO: replace with the cluster ids
}

torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids) {
  // TODO: row k = the mean of the points assigned to k; an empty cluster keeps its centroid
  return centroids.clone();  // TODO: replace with the updated centroids
}

KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol) {
  // TODO: assign, update, stop once no centroid moved more than tol (Euclidean); count the updates
  return {init.clone(), assign_clusters(x, init), 0};  // TODO: replace with Lloyd's algorithm
}

torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u) {
  // u: (k,) float64. TODO: centre 0 = x[floor(u[0] * N)]; then draw by the inverse CDF of D2 (squared
  // distance to the nearest chosen centre) with u[j]
  return x.narrow(/*dim=*/0, /*start=*/0, /*length=*/k).clone();  // TODO: replace with the k-means++ centres
}

}  // namespace kata

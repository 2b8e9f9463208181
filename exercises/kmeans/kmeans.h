// Contract for the kmeans exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_KMEANS_H
#define KATA_KMEANS_H

#include <torch/torch.h>

namespace kata {
// Shared by every function:
//   x: [N, D] (N, D >= 1), float32 or float64, one point per row. Centroids are [K, D] (K >= 1) in x's dtype:
//   row k is the centroid of cluster k. Distances are Euclidean, ||a - b||_2 = sqrt(sum_d (a_d - b_d)^2), and
//   "squared" where it says so. Results are in x's dtype (compute in it, or in float64 and convert back);
//   cluster ids are int64. Inputs may be non-contiguous views and must not be modified. Nothing here needs
//   gradients: no input requires grad, and the checks compare values and exact ids.

// The assignment step: int64 [N], entry i the index of the centroid nearest to x[i]. When several centroids are
// exactly equally near, the LOWEST index wins (torch::argmin returns the first minimum).
torch::Tensor assign_clusters(const torch::Tensor& x, const torch::Tensor& centroids);

// The update step: [K, D] in x's dtype. Row k is the mean of the points assigned to cluster k: their sum divided
// by how many points cluster k has (not by N). A cluster with no points keeps its centroid: row k of
// `centroids`, unchanged (not NaN, not zeros, not re-seeded).
//   assignments: int64 [N], values in 0 .. K-1; centroids: [K, D], the centroids before this update.
torch::Tensor update_centroids(const torch::Tensor& x, const torch::Tensor& assignments,
                               const torch::Tensor& centroids);

struct KMeansResult {
  torch::Tensor centroids;    // [K, D], x's dtype: the centroids after the last update (init if none was made)
  torch::Tensor assignments;  // int64 [N]: assign_clusters(x, centroids) for the RETURNED centroids
  int64_t iterations;         // the number of updates made, 0 .. max_iters
};

// Lloyd's algorithm from init ([K, D], x's dtype), max_iters >= 0, tol >= 0:
//   c = init
//   for t = 1, 2, ..., max_iters:
//     a = assign_clusters(x, c)
//     c_new = update_centroids(x, a, c)
//     moved = max over k of ||c_new[k] - c[k]||_2     the Euclidean distance each centroid moved, its largest:
//                                                      not squared, not the largest coordinate, not a norm or
//                                                      sum over all centroids together
//     c = c_new
//     if moved <= tol: stop                            "no centroid moved more than tol" (moved == tol stops;
//                                                      tol = 0 stops once no centroid moved at all)
//   iterations = t if it stopped at step t (the step that met the tolerance counts), max_iters if it never
//   stopped; max_iters = 0 returns init with iterations 0.
//   assignments = assign_clusters(x, c) for the returned c: recomputed after the last update, so that they agree
//   with the returned centroids even when max_iters ran out (not the last step's a, which was computed before it).
KMeansResult kmeans(const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol);

// k-means++ seeding, deterministic given u: returns [k, D] in x's dtype, k rows of x (copied) in the order they
// were chosen. u: [k] float64, each in [0, 1); u[j] draws centre j. 1 <= k <= N, and x has at least k distinct
// points.
//   centre 0: uniform over the N points by the inverse CDF: index i = floor(u[0] * N), the first i with
//     (i + 1) / N > u[0] (at most N - 1).
//   centre j >= 1: D2[i] = min over the centres chosen so far of ||x[i] - c||_2^2, the SQUARED distance to the
//     NEAREST chosen centre (not the plain distance, not the distance to the last centre only). A point already
//     chosen has D2 = 0. p = D2 / sum(D2); the answer is the first index i, in index order, whose cumulative sum
//     p[0] + ... + p[i] is strictly greater than u[j]. So a point with D2 = 0 is never picked (its cumulative sum
//     equals the one before it), not even with u[j] = 0. If rounding leaves no such index (u[j] within rounding
//     of 1), the last index with D2 > 0.
torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k, const torch::Tensor& u);
}  // namespace kata

#endif

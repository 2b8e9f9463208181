// The kmeans contract across the trust boundary (see harness/host/binding.h).
#include "kmeans.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::KMeansResult, c.centroids, c.assignments, c.iterations);

KATA_BIND_FUNCTION(torch::Tensor, assign_clusters, (const torch::Tensor& x, const torch::Tensor& centroids),
                   (x, centroids))
KATA_BIND_FUNCTION(torch::Tensor, update_centroids,
                   (const torch::Tensor& x, const torch::Tensor& assignments, const torch::Tensor& centroids),
                   (x, assignments, centroids))
KATA_BIND_FUNCTION(kata::KMeansResult, kmeans,
                   (const torch::Tensor& x, const torch::Tensor& init, int64_t max_iters, double tol),
                   (x, init, max_iters, tol))
KATA_BIND_FUNCTION(torch::Tensor, kmeans_plus_plus, (const torch::Tensor& x, int64_t k, const torch::Tensor& u),
                   (x, k, u))

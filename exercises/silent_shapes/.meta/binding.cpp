// The silent_shapes contract across the trust boundary (see harness/host/binding.h).
#include "silent_shapes.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::FitResult, c.losses, c.weight, c.bias);

KATA_BIND_FUNCTION(torch::Tensor, to_time_major, (const torch::Tensor& x), (x))
KATA_BIND_FUNCTION(torch::Tensor, smoothing_kernel, (int64_t T, double decay), (T, decay))
KATA_BIND_FUNCTION(torch::Tensor, standardise, (const torch::Tensor& features), (features))
KATA_BIND_FUNCTION(torch::Tensor, mse, (const torch::Tensor& pred, const torch::Tensor& target), (pred, target))
KATA_BIND_FUNCTION(torch::Tensor, make_features, (const torch::Tensor& x, double decay), (x, decay))
KATA_BIND_FUNCTION(kata::FitResult, fit,
                   (const torch::Tensor& x, const torch::Tensor& y, double decay, int64_t steps, double lr),
                   (x, y, decay, steps, lr))

// expect: accepted
// why: folds the normalisation and the affine step into one scale and one shift per channel, y = x * scale + shift with scale = weight / sqrt(var + eps) and shift = bias - mean * scale (what inference engines do); sums with keepdim, the unbiased variance from the sum of squares of the centred values, and the buffers rewritten with copy_ under NoGradGuard
#include "batch_norm.h"

namespace kata {

BatchNorm1dImpl::BatchNorm1dImpl(int64_t num_features, double eps, double momentum)
    : num_features(num_features), eps(eps), momentum(momentum) {
  weight = register_parameter("weight", torch::ones({num_features}));
  bias = register_parameter("bias", torch::zeros({num_features}));
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));
  running_var = register_buffer("running_var", torch::ones({num_features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNorm1dImpl::forward(const torch::Tensor& x) {
  std::vector<int64_t> dims = {0};
  std::vector<int64_t> shape = {1, num_features};
  if (x.dim() == 3) {
    dims.push_back(2);
    shape.push_back(1);
  }
  torch::Tensor mean, var;
  if (is_training()) {
    const int64_t n = x.numel() / num_features;
    mean = x.sum(dims, /*keepdim=*/true) / n;                     // [1, C(, 1)]
    auto ss = (x - mean).square().sum(dims, /*keepdim=*/true);  // sum of squared deviations
    var = ss / n;
    torch::NoGradGuard no_grad;
    running_mean.copy_(running_mean * (1 - momentum) + mean.reshape({-1}) * momentum);
    running_var.copy_(running_var * (1 - momentum) + (ss / (n - 1)).reshape({-1}) * momentum);
    num_batches_tracked.fill_(num_batches_tracked.item<int64_t>() + 1);
  } else {
    mean = running_mean.reshape(shape);
    var = running_var.reshape(shape);
  }
  auto scale = weight.reshape(shape) / torch::sqrt(var + eps);
  auto shift = bias.reshape(shape) - mean * scale;
  return x * scale + shift;
}

}  // namespace kata

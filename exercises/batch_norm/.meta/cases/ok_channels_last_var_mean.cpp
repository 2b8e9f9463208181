// expect: accepted
// why: moves the channels last and flattens to [N * L, C] (transpose first, then reshape), takes both statistics per column with torch::var_mean(unbiased=false), and updates the buffers in place with lerp_ on detached statistics (lerp_(s, m) is running + m * (s - running))
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
  const bool seq = x.dim() == 3;
  const int64_t C = x.size(1);
  auto rows = seq ? x.transpose(1, 2).reshape({-1, C}) : x;  // [N * L, C]
  torch::Tensor y;
  if (is_training()) {
    auto [var, mean] = torch::var_mean(rows, /*dim=*/{0}, /*unbiased=*/false, /*keepdim=*/false);
    y = (rows - mean) / torch::sqrt(var + eps);
    const double n = static_cast<double>(rows.size(0));
    running_mean.lerp_(mean.detach(), momentum);
    running_var.lerp_(var.detach() * (n / (n - 1)), momentum);
    num_batches_tracked.add_(1);
  } else {
    y = (rows - running_mean) / torch::sqrt(running_var + eps);
  }
  y = y * weight + bias;
  return seq ? y.reshape({x.size(0), x.size(2), C}).transpose(1, 2) : y;
}

}  // namespace kata

// expect: accepted
// why: one channel at a time, as the definition reads: x.select(1, c) holds channel c's N (x N * L) values, its statistics are plain means over all of them, and the per-channel outputs are stacked back along dim 1; the buffers are written element by element with index_put_ on detached values
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
  std::vector<torch::Tensor> channels;
  for (int64_t c = 0; c < x.size(1); ++c) {
    auto xc = x.select(/*dim=*/1, c);  // [N] or [N, L]
    torch::Tensor mean, var;
    if (is_training()) {
      mean = xc.mean();
      var = (xc - mean).pow(2).mean();
      const double n = static_cast<double>(xc.numel());
      auto rm = running_mean[c].detach() * (1 - momentum) + mean.detach() * momentum;
      auto rv = running_var[c].detach() * (1 - momentum) + var.detach() * (momentum * n / (n - 1));
      running_mean.index_put_({c}, rm);
      running_var.index_put_({c}, rv);
    } else {
      mean = running_mean[c];
      var = running_var[c];
    }
    channels.push_back((xc - mean) / (var + eps).sqrt() * weight[c] + bias[c]);
  }
  if (is_training()) num_batches_tracked.add_(1);
  return torch::stack(channels, /*dim=*/1);
}

}  // namespace kata

// expect: wrong_answer BatchNorm1d.TrainingOutputFloat64
// mistake: statistics over every dim, C included (one mean for the whole batch)
// why: x.mean() and the mean of (x - x.mean())^2, with no dims, reduce over everything, channels too, so every channel is normalised with the same mean and variance and channels with different scales stay different; BatchNorm keeps one statistic per channel: reduce over every dim but 1 ({0} for [N, C], {0, 2} for [N, C, L])
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
  const std::vector<int64_t> dims = x.dim() == 3 ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{0};
  auto bc = [&](const torch::Tensor& t) { return x.dim() == 3 ? t.view({1, -1, 1}) : t.view({1, -1}); };
  torch::Tensor mean, var;
  if (is_training()) {
    mean = x.mean().expand({x.size(1)});  // one value for every channel
    var = (x - x.mean()).pow(2).mean().expand({x.size(1)});
    const double n = static_cast<double>(x.numel() / x.size(1));
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean, momentum);
    running_var.mul_(1 - momentum).add_(var, momentum * n / (n - 1));
    num_batches_tracked += 1;
  } else {
    mean = running_mean;
    var = running_var;
  }
  return (x - bc(mean)) * torch::rsqrt(bc(var) + eps) * bc(weight) + bc(bias);
}

}  // namespace kata

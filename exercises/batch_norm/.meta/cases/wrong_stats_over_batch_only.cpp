// expect: wrong_answer BatchNorm1d.TrainingOutputFloat64
// mistake: statistics over N only for [N, C, L] input (one per position)
// why: for [N, C, L] input BatchNorm1d takes each channel's statistics over the batch AND the length, N * L values (dims {0, 2}); x.mean(0) keeps one mean per (channel, position), so every position is normalised on its own, as if L were more features
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
  auto bc = [&](const torch::Tensor& t) { return x.dim() == 3 ? t.view({1, -1, 1}) : t.view({1, -1}); };
  // Statistics over the batch, as for [N, C]: per feature, and for [N, C, L] per (channel, position).
  auto per_channel = [&](const torch::Tensor& t) { return x.dim() == 3 ? t.mean(/*dim=*/-1) : t; };
  if (is_training()) {
    auto mean = x.mean(/*dim=*/0, /*keepdim=*/true);  // [1, C] or [1, C, L]
    auto var = (x - mean).pow(2).mean(/*dim=*/0, /*keepdim=*/true);
    const double n = static_cast<double>(x.size(0));
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(per_channel(mean).squeeze(0), momentum);
      running_var.mul_(1 - momentum).add_(per_channel(var).squeeze(0), momentum * n / (n - 1));
      num_batches_tracked += 1;
    }
    return (x - mean) * torch::rsqrt(var + eps) * bc(weight) + bc(bias);
  }
  return (x - bc(running_mean)) * torch::rsqrt(bc(running_var) + eps) * bc(weight) + bc(bias);
}

}  // namespace kata

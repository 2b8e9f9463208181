// expect: wrong_answer BatchNorm1d.TrainingOutputFloat64
// mistake: statistics over dims {0, -1}: over C too for [N, C] input
// why: x.mean({0, -1}) is right for [N, C, L] (dims 0 and 2) but for [N, C] input dim -1 IS the channel dim, so one mean and one variance are taken over the whole batch and every channel: name the dims from the rank, {0} for 2-D and {0, 2} for 3-D
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
  const std::vector<int64_t> dims = {0, -1};  // N and L of [N, C, L]
  torch::Tensor mean, var;
  if (is_training()) {
    mean = x.mean(dims, /*keepdim=*/true);  // [1, C, 1] for 3-D input
    var = (x - mean).pow(2).mean(dims, /*keepdim=*/true);
    const double n = static_cast<double>(x.numel() / x.size(1));
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean.squeeze(), momentum);
    running_var.mul_(1 - momentum).add_(var.squeeze(), momentum * n / (n - 1));
    num_batches_tracked += 1;
  } else {
    mean = bc(running_mean);
    var = bc(running_var);
  }
  return (x - mean) * torch::rsqrt(var + eps) * bc(weight) + bc(bias);
}

}  // namespace kata

// expect: wrong_answer BatchNorm1d.TrainingOutputFloat64
// mistake: [N, C, L] reshaped to [N * L, C] without moving C last
// why: x.reshape({-1, C}) on [N, C, L] does not put the channels in the columns: it cuts the memory of [N, C, L] into rows of C consecutive values, which mixes channels and positions, so every 'channel' statistic averages values of several channels. Move C last first, x.transpose(1, 2).reshape({-1, C}), and undo both at the end, or reduce over dims {0, 2} directly
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
  const int64_t C = x.size(1);
  auto rows = x.reshape({-1, C});  // [N * L, C]
  torch::Tensor mean, var;
  if (is_training()) {
    mean = rows.mean(/*dim=*/0);
    var = (rows - mean).pow(2).mean(/*dim=*/0);
    const double n = static_cast<double>(rows.size(0));
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean, momentum);
    running_var.mul_(1 - momentum).add_(var, momentum * n / (n - 1));
    num_batches_tracked += 1;
  } else {
    mean = running_mean;
    var = running_var;
  }
  auto y = (rows - mean) * torch::rsqrt(var + eps) * weight + bias;
  return y.reshape(x.sizes());
}

}  // namespace kata

#include "batch_norm.h"

namespace kata {

BatchNorm1dImpl::BatchNorm1dImpl(int64_t num_features, double eps, double momentum)
    : num_features(num_features), eps(eps), momentum(momentum) {
  weight = register_parameter("weight", torch::ones({num_features}));                  // (C)
  bias = register_parameter("bias", torch::zeros({num_features}));                     // (C)
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));        // (C)
  running_var = register_buffer("running_var", torch::ones({num_features}));           // (C)
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));  // ()
}

torch::Tensor BatchNorm1dImpl::forward(const torch::Tensor& x) {
  // x: (N, C) or (N, C, L); every statistic is per channel, over N (and L)
  const bool seq = x.dim() == 3;
  const std::vector<int64_t> dims = seq ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{0};
  const std::vector<int64_t> shape = seq ? std::vector<int64_t>{1, -1, 1} : std::vector<int64_t>{1, -1};
  torch::Tensor mean, var;                                                          // (C)
  if (is_training()) {
    mean = x.mean(dims);
    var = (x - mean.view(shape)).pow(2).mean(dims);                                 // biased: / n
    const double n = static_cast<double>(x.numel() / x.size(1));
    torch::NoGradGuard no_grad;                                                     // running stats: no graph
    running_mean.mul_(1 - momentum).add_(mean, /*alpha=*/momentum);                 // in place: the registered buffers
    running_var.mul_(1 - momentum).add_(var, /*alpha=*/momentum * n / (n - 1));     // unbiased: * n / (n - 1)
    num_batches_tracked += 1;
  } else {
    mean = running_mean;
    var = running_var;
  }
  auto x_hat = (x - mean.view(shape)) * torch::rsqrt(var.view(shape) + eps);       // eps inside the sqrt
  return x_hat * weight.view(shape) + bias.view(shape);                            // (N, C[, L])
}

}  // namespace kata

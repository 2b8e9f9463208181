// expect: runtime_error
// why: the statistics are right ([1, C, 1] with keepdim), but weight and bias are used as [C]: against [N, C, L] a [C] tensor lines up with the LAST dim, L, so [N, C, L] * [C] throws a size mismatch (and would silently scale positions, not channels, whenever L == C); view them as [1, C, 1]
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
  torch::Tensor mean, var;
  if (is_training()) {
    mean = x.mean(dims, /*keepdim=*/true);  // [1, C] or [1, C, 1]
    var = (x - mean).pow(2).mean(dims, /*keepdim=*/true);
    const double n = static_cast<double>(x.numel() / x.size(1));
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - momentum).add_(mean.flatten(), momentum);
    running_var.mul_(1 - momentum).add_(var.flatten(), momentum * n / (n - 1));
    num_batches_tracked += 1;
  } else {
    mean = x.dim() == 3 ? running_mean.view({1, -1, 1}) : running_mean.view({1, -1});
    var = x.dim() == 3 ? running_var.view({1, -1, 1}) : running_var.view({1, -1});
  }
  return (x - mean) * torch::rsqrt(var + eps) * weight + bias;
}

}  // namespace kata

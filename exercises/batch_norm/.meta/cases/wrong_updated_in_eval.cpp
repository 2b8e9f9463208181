// expect: wrong_answer BatchNorm1d.EvalUsesRunningStats
// mistake: running statistics updated in eval too
// why: the output is right, but the running statistics and num_batches_tracked are updated on every call, eval included: evaluating the model then changes it (validation batches leak into the running statistics, and two evaluations of the same input differ). Update only when is_training()
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
  auto mean = x.mean(dims);
  auto var = (x - bc(mean)).pow(2).mean(dims);
  auto y = is_training() ? (x - bc(mean)) * torch::rsqrt(bc(var) + eps)
                         : (x - bc(running_mean)) * torch::rsqrt(bc(running_var) + eps);
  y = y * bc(weight) + bc(bias);
  // The running statistics, whatever the mode.
  const double n = static_cast<double>(x.numel() / x.size(1));
  torch::NoGradGuard no_grad;
  running_mean.mul_(1 - momentum).add_(mean, momentum);
  running_var.mul_(1 - momentum).add_(var, momentum * n / (n - 1));
  num_batches_tracked += 1;
  return y;
}

}  // namespace kata

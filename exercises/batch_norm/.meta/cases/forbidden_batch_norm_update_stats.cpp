// expect: forbidden_call
// why: the normalisation is by hand, but at::batch_norm_update_stats computes the per-channel mean and (biased) variance and applies the running update with the unbiased one: the statistics and the buffers are the exercise
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
  auto bc = [&](const torch::Tensor& t) { return seq ? t.view({1, -1, 1}) : t.view({1, -1}); };
  torch::Tensor mean = running_mean, var = running_var;
  if (is_training()) {
    {
      torch::NoGradGuard no_grad;
      at::batch_norm_update_stats(x, running_mean, running_var, momentum);
      num_batches_tracked += 1;
    }
    const std::vector<int64_t> dims = seq ? std::vector<int64_t>{0, 2} : std::vector<int64_t>{0};
    mean = x.mean(dims);
    var = (x - bc(mean)).pow(2).mean(dims);
  }
  return (x - bc(mean)) * torch::rsqrt(bc(var) + eps) * bc(weight) + bc(bias);
}

}  // namespace kata

// expect: forbidden_call
// why: torch::nn::functional::batch_norm is a header wrapper around torch::batch_norm, so the file still links at::_ops::batch_norm
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
  namespace F = torch::nn::functional;
  if (is_training()) num_batches_tracked += 1;
  return F::batch_norm(x, running_mean, running_var,
                       F::BatchNormFuncOptions().weight(weight).bias(bias).training(is_training()).momentum(momentum).eps(eps));
}

}  // namespace kata

// expect: forbidden_call
// why: torch::batch_norm with the module's own buffers is the whole exercise in one call (at::_ops::batch_norm): it normalises and updates running_mean and running_var in place; the values are right, the judge rejects the symbol
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
  if (is_training()) num_batches_tracked += 1;
  return torch::batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps,
                           /*cudnn_enabled=*/false);
}

}  // namespace kata

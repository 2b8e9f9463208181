// expect: forbidden_call
// why: at::native_batch_norm, the kernel torch::batch_norm ends in, returns (output, save_mean, save_invstd) and updates the running statistics: the same op by its private name
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
  return std::get<0>(at::native_batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps));
}

}  // namespace kata

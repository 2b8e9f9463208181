// expect: forbidden_call
// why: a torch::nn::BatchNorm1d inside, without its own affine parameters, its running statistics copied in and out of the registered buffers: the module runs LibTorch's batch_norm (torch::nn::BatchNorm1dImpl, BatchNormImplBase)
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
  torch::nn::BatchNorm1d inner(torch::nn::BatchNorm1dOptions(num_features).eps(eps).momentum(momentum).affine(false));
  inner->to(x.scalar_type());
  inner->train(is_training());
  {
    torch::NoGradGuard no_grad;
    inner->running_mean.copy_(running_mean);
    inner->running_var.copy_(running_var);
  }
  auto y = inner->forward(x);
  {
    torch::NoGradGuard no_grad;
    running_mean.copy_(inner->running_mean);
    running_var.copy_(inner->running_var);
    if (is_training()) num_batches_tracked += 1;
  }
  auto bc = [&](const torch::Tensor& t) { return x.dim() == 3 ? t.view({1, -1, 1}) : t.view({1, -1}); };
  return y * bc(weight) + bc(bias);
}

}  // namespace kata

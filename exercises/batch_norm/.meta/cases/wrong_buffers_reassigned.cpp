// expect: wrong_answer BatchNorm1d.RunningStatsAfterOneCall
// mistake: buffers reassigned instead of updated in place
// why: `running_mean = (1 - momentum) * running_mean + momentum * mean` builds a new tensor and rebinds the C++ member to it: the tensor register_buffer recorded (the one named_buffers(), state_dict, to() and the judge see) never changes, so the module's running statistics stay 0 and 1. Update in place: running_mean.mul_(1 - momentum).add_(mean, momentum) under NoGradGuard, or lerp_/copy_
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
  torch::Tensor mean, var;
  if (is_training()) {
    mean = x.mean(dims);
    var = (x - bc(mean)).pow(2).mean(dims);
    const double n = static_cast<double>(x.numel() / x.size(1));
    running_mean = (1 - momentum) * running_mean + momentum * mean.detach();
    running_var = (1 - momentum) * running_var + momentum * n / (n - 1) * var.detach();
    num_batches_tracked = num_batches_tracked + 1;
  } else {
    mean = running_mean;
    var = running_var;
  }
  return (x - bc(mean)) * torch::rsqrt(bc(var) + eps) * bc(weight) + bc(bias);
}

}  // namespace kata

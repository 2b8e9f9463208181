// expect: forbidden_call
// why: a TorchScript snippet calls torch.batch_norm by name at run time, out of sight of the linker: the judge refuses torch::jit:: itself
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
  static auto unit = torch::jit::compile(R"(
  def norm(x: Tensor, weight: Tensor, bias: Tensor, mean: Tensor, var: Tensor, training: bool, momentum: float, eps: float):
      return torch.batch_norm(x, weight, bias, mean, var, training, momentum, eps, False)
  )");
  if (is_training()) num_batches_tracked += 1;
  return unit->run_method("norm", x, weight, bias, running_mean, running_var, is_training(), momentum, eps).toTensor();
}

}  // namespace kata

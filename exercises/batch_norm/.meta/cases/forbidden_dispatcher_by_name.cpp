// expect: forbidden_call
// why: aten::batch_norm looked up by name through the dispatcher, so no at::_ops symbol appears in the file: the lookup itself is what the judge refuses
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
  auto op = c10::Dispatcher::singleton()
                .findSchemaOrThrow("aten::batch_norm", "")
                .typed<at::Tensor(const at::Tensor&, const c10::optional<at::Tensor>&, const c10::optional<at::Tensor>&,
                                  const c10::optional<at::Tensor>&, const c10::optional<at::Tensor>&, bool, double,
                                  double, bool)>();
  if (is_training()) num_batches_tracked += 1;
  return op.call(x, weight, bias, running_mean, running_var, is_training(), momentum, eps, /*cudnn_enabled=*/false);
}

}  // namespace kata

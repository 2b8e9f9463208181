// expect: forbidden_call
// why: aten::layer_norm looked up by name through the dispatcher, so no at::_ops symbol appears in the file:
//      the lookup itself is what the judge refuses
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  auto op = c10::Dispatcher::singleton()
                .findSchemaOrThrow("aten::layer_norm", "")
                .typed<at::Tensor(const at::Tensor&, at::IntArrayRef, const c10::optional<at::Tensor>&,
                                  const c10::optional<at::Tensor>&, double, bool)>();
  return op.call(x, {x.size(-1)}, weight, bias, eps, /*cudnn_enable=*/false);
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

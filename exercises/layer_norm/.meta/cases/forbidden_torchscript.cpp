// expect: forbidden_call
// why: a TorchScript snippet calls torch.layer_norm by name at run time, out of sight of the linker: the judge refuses torch::jit:: itself
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  static auto unit = torch::jit::compile(R"(
def norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float):
    return torch.layer_norm(x, [x.size(-1)], weight, bias, eps)
)");
  return unit->run_method("norm", x, weight, bias, eps).toTensor();
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

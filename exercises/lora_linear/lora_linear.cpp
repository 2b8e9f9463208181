// Your solution: implement kata::LoRALinear as README.md and lora_linear.h describe.
// Judge it with: ./kata judge lora_linear
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  // TODO: initialise the base layer as torch::nn::Linear does and freeze it; initialise the adapter
  weight = register_parameter("weight", torch::zeros({out_features, in_features}));
  bias = register_parameter("bias", torch::zeros({out_features}));
  lora_A = register_parameter("lora_A", torch::zeros({rank, in_features}));
  lora_B = register_parameter("lora_B", torch::zeros({out_features, rank}));
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  // x: (..., in) -> (..., out)
  // TODO: the frozen layer plus the scaled low-rank update
  return torch::nn::functional::linear(x, weight, bias);
}

void LoRALinearImpl::merge() {
  // TODO: fold the scaled update into weight, once
}

}  // namespace kata

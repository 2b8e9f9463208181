// expect: wrong_answer LoRALinear.Parameters
// mistake: lora_A and lora_B both start at zero
// why: with A = 0 and B = 0 the gradient of B (x A^T times the output gradient) and the gradient of A (through B) are both zero, so training never moves the adapter; only B starts at zero, A is drawn at random (kaiming-uniform as nn.Linear's weight, or Gaussian)
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::nn::Linear base(in_features, out_features);  // the pretrained layer's init, then frozen
  weight = register_parameter("weight", base->weight.detach().clone(), /*requires_grad=*/false);  // (out, in)
  bias = register_parameter("bias", base->bias.detach().clone(), /*requires_grad=*/false);        // (out)
  lora_A = register_parameter("lora_A", torch::zeros({rank, in_features}));  // (r, in)
  lora_B = register_parameter("lora_B", torch::zeros({out_features, rank})); // (out, r): starts as a no-op
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);  // (..., out) the frozen layer
  if (merged) return y;                                     // weight already holds the update
  const double scaling = static_cast<double>(alpha) / rank;
  return y + scaling * x.matmul(lora_A.t()).matmul(lora_B.t());  // (..., in) -> (..., r) -> (..., out)
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  const double scaling = static_cast<double>(alpha) / rank;
  weight.add_(lora_B.matmul(lora_A), /*alpha=*/scaling);  // (out, r) @ (r, in) = (out, in)
  merged = true;
}

}  // namespace kata

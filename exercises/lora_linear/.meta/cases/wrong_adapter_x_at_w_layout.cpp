// expect: wrong_answer LoRALinear.Parameters
// mistake: lora_A [in, rank] and lora_B [rank, out] (the x @ A @ B layout)
// why: some from-scratch tutorials store the adapter as x @ A @ B, but LibTorch's (and peft's) weights are [out, in] with y = x W^T: lora_A is [rank, in] and lora_B [out, rank], and forward is x A^T B^T; the judge (like a peft checkpoint) loads them by name and shape
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::nn::Linear base(in_features, out_features);  // the pretrained layer's init, then frozen
  weight = register_parameter("weight", base->weight.detach().clone(), /*requires_grad=*/false);  // (out, in)
  bias = register_parameter("bias", base->bias.detach().clone(), /*requires_grad=*/false);        // (out)
  auto a = torch::empty({in_features, rank});
  torch::nn::init::kaiming_uniform_(a, /*a=*/std::sqrt(5.0));                // as nn.Linear's weight (peft)
  lora_A = register_parameter("lora_A", a);                                  // (in, r)
  lora_B = register_parameter("lora_B", torch::zeros({rank, out_features})); // (r, out): starts as a no-op
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);  // (..., out) the frozen layer
  if (merged) return y;                                     // weight already holds the update
  const double scaling = static_cast<double>(alpha) / rank;
  return y + scaling * x.matmul(lora_A).matmul(lora_B);  // (..., in) -> (..., r) -> (..., out)
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  const double scaling = static_cast<double>(alpha) / rank;
  weight.add_(lora_A.matmul(lora_B).t(), /*alpha=*/scaling);  // ((in, r) @ (r, out))^T = (out, in)
  merged = true;
}

}  // namespace kata

// expect: wrong_answer LoRALinear.Forward
// mistake: the update scaled by alpha instead of alpha / rank
// why: LoRA's scale is alpha / rank (peft's lora_alpha / r), so that changing the rank does not change the size of the update and the learning rate tuned for one rank still works; scaling by alpha alone makes the update rank times too large
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::nn::Linear base(in_features, out_features);  // the pretrained layer's init, then frozen
  weight = register_parameter("weight", base->weight.detach().clone(), /*requires_grad=*/false);  // (out, in)
  bias = register_parameter("bias", base->bias.detach().clone(), /*requires_grad=*/false);        // (out)
  auto a = torch::empty({rank, in_features});
  torch::nn::init::kaiming_uniform_(a, /*a=*/std::sqrt(5.0));                // as nn.Linear's weight (peft)
  lora_A = register_parameter("lora_A", a);                                  // (r, in)
  lora_B = register_parameter("lora_B", torch::zeros({out_features, rank})); // (out, r): starts as a no-op
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);  // (..., out) the frozen layer
  if (merged) return y;                                     // weight already holds the update
  const double scaling = static_cast<double>(alpha);
  return y + scaling * x.matmul(lora_A.t()).matmul(lora_B.t());  // (..., in) -> (..., r) -> (..., out)
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  const double scaling = static_cast<double>(alpha);
  weight.add_(lora_B.matmul(lora_A), /*alpha=*/scaling);  // (out, r) @ (r, in) = (out, in)
  merged = true;
}

}  // namespace kata

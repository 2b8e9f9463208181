// expect: wrong_answer LoRALinear.Forward
// mistake: alpha / rank computed in integer arithmetic
// why: alpha and rank are both int64_t, so alpha / rank truncates (10 / 4 is 2, not 2.5; 8 / 16 is 0 and the adapter vanishes); Python's lora_alpha / r is a true division: write static_cast<double>(alpha) / rank
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
  const double scaling = alpha / rank;
  return y + scaling * x.matmul(lora_A.t()).matmul(lora_B.t());  // (..., in) -> (..., r) -> (..., out)
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  const double scaling = alpha / rank;
  weight.add_(lora_B.matmul(lora_A), /*alpha=*/scaling);  // (out, r) @ (r, in) = (out, in)
  merged = true;
}

}  // namespace kata

// expect: wrong_answer LoRALinear.Parameters
// mistake: lora_A and lora_B swapped (A the up-projection [out, rank], B the down-projection [rank, in])
// why: in the paper and peft, lora_A [rank, in] projects down first and lora_B [out, rank] projects up, starting at zero: x A^T B^T; the product is the same, but the checkpoint's names do not match anyone else's (the judge loads by name)
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::nn::Linear base(in_features, out_features);  // the pretrained layer's init, then frozen
  weight = register_parameter("weight", base->weight.detach().clone(), /*requires_grad=*/false);  // (out, in)
  bias = register_parameter("bias", base->bias.detach().clone(), /*requires_grad=*/false);        // (out)
  auto b = torch::empty({rank, in_features});
  torch::nn::init::kaiming_uniform_(b, /*a=*/std::sqrt(5.0));
  lora_B = register_parameter("lora_B", b);                                   // (r, in) down
  lora_A = register_parameter("lora_A", torch::zeros({out_features, rank}));  // (out, r) up, starts as a no-op
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto y = torch::nn::functional::linear(x, weight, bias);  // (..., out) the frozen layer
  if (merged) return y;                                     // weight already holds the update
  const double scaling = static_cast<double>(alpha) / rank;
  return y + scaling * x.matmul(lora_B.t()).matmul(lora_A.t());  // (..., in) -> (..., r) -> (..., out)
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  const double scaling = static_cast<double>(alpha) / rank;
  weight.add_(lora_A.matmul(lora_B), /*alpha=*/scaling);  // (out, r) @ (r, in) = (out, in): A up, B down
  merged = true;
}

}  // namespace kata

// expect: wrong_answer LoRALinear.Parameters
// mistake: lora_A starts at zero and lora_B at random (A and B swapped)
// why: the product B A is zero either way, so a fresh adapter is a no-op, but the contract (like the paper and peft) draws A at random and zeroes B: B is the up-projection that starts silent, A the random down-projection that gives B a non-zero gradient from the first step
#include "lora_linear.h"

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::nn::Linear base(in_features, out_features);  // the pretrained layer's init, then frozen
  weight = register_parameter("weight", base->weight.detach().clone(), /*requires_grad=*/false);  // (out, in)
  bias = register_parameter("bias", base->bias.detach().clone(), /*requires_grad=*/false);        // (out)
  auto b = torch::empty({out_features, rank});
  torch::nn::init::kaiming_uniform_(b, /*a=*/std::sqrt(5.0));
  lora_A = register_parameter("lora_A", torch::zeros({rank, in_features}));  // (r, in): starts as a no-op
  lora_B = register_parameter("lora_B", b);                                  // (out, r)
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

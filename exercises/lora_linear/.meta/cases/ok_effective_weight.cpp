// expect: accepted
// why: forward builds the effective weight W + (alpha / rank) B A [out, in] and applies one linear (a full [out, in] matrix per call, but the same output and the same gradients to x, A and B); the base is frozen with requires_grad_(false) after registering, lora_A is Gaussian as in the paper, and merge writes through .data() instead of under a NoGradGuard
#include "lora_linear.h"

#include <cmath>

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight", torch::empty({out_features, in_features}).uniform_(-bound, bound));
  bias = register_parameter("bias", torch::empty({out_features}).uniform_(-bound, bound));
  weight.requires_grad_(false);
  bias.requires_grad_(false);
  lora_A = register_parameter("lora_A", torch::randn({rank, in_features}) * bound);
  lora_B = register_parameter("lora_B", torch::zeros({out_features, rank}));
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  auto w = merged ? weight : weight + lora_B.mm(lora_A) * (double(alpha) / double(rank));
  return torch::nn::functional::linear(x, w, bias);
}

void LoRALinearImpl::merge() {
  if (!merged) {
    weight.data().add_(lora_B.data().mm(lora_A.data()) * (double(alpha) / double(rank)));
    merged = true;
  }
}

}  // namespace kata

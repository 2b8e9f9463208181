// Contract for the lora_linear exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_LORA_LINEAR_H
#define KATA_LORA_LINEAR_H

#include <torch/torch.h>

namespace kata {
// A linear layer with a low-rank adapter (LoRA, Hu et al. 2021), the way a frozen pretrained layer is
// fine-tuned:
//   forward(x) = x weight^T + bias + (alpha / rank) * x lora_A^T lora_B^T
// alpha / rank is a real number (alpha = 6, rank = 4 scale by 1.5, not 1), as peft's lora_alpha / r.
//
// Parameters, registered with register_parameter under exactly these names (the judge loads and reads
// them by name):
//   weight [out_features, in_features], bias [out_features]: the pretrained layer, FROZEN
//     (requires_grad false: no gradient reaches them and an optimizer over parameters() leaves them be);
//     initialised as torch::nn::Linear(in_features, out_features) initialises its own.
//   lora_A [rank, in_features]: trainable; random and not all zero (kaiming-uniform as torch::nn::Linear
//     initialises its weight, peft's default, or Gaussian as in the paper: the judge only checks that it
//     is not all zero).
//   lora_B [out_features, rank]: trainable; zeros, so a fresh adapter leaves the layer's output as it was.
// No other trainable parameter. No dropout on the adapter path.
struct LoRALinearImpl : torch::nn::Module {
  LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha);

  // x: [..., in_features], any number of leading dimensions (none too) -> [..., out_features], in x's
  // dtype (the module's parameters have it too: the judge calls lora->to(torch::kFloat64)).
  // Gradients reach x, lora_A and lora_B; weight and bias get none.
  // Once merged: x weight^T + bias alone, since weight already holds the update.
  torch::Tensor forward(const torch::Tensor& x);

  // Folds the adapter into the base layer for inference:
  //   weight += (alpha / rank) * lora_B lora_A      (in place, outside autograd; weight stays frozen)
  // and marks the module merged, so forward stops adding the adapter path: forward's output is the same
  // before and after, up to rounding. The update goes into the registered parameter itself, so
  // named_parameters() and a saved state_dict hold the merged weight (the judge reads it there).
  // lora_A and lora_B are left as they are. Calling merge() on a merged module changes nothing.
  void merge();

  int64_t rank, alpha;
  bool merged = false;
  torch::Tensor weight, bias, lora_A, lora_B;
};
TORCH_MODULE(LoRALinear);
}  // namespace kata

#endif

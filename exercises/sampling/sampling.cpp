// Your solution: implement kata::top_k_mask, kata::top_p_mask and kata::sample as README.md and sampling.h
// describe. Judge it with: ./kata judge sampling
#include "sampling.h"

namespace kata {

torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k) {
  // logits: (B, V). TODO: true for the k largest of each row (ties to the lower id); k == 0 or k >= V: all true
  return torch::ones_like(logits, torch::kBool);  // TODO: replace with the top-k mask
}

torch::Tensor top_p_mask(const torch::Tensor& logits, double p) {
  // logits: (B, V), may hold -inf. TODO: sort the probabilities descending (ties to the lower id), keep each
  // token whose preceding mass is < p (p >= 1: every finite logit)
  return torch::ones_like(logits, torch::kBool);  // TODO: replace with the top-p mask
}

torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u) {
  // logits: (B, V); u: (B,) float64 in [0, 1). TODO: greedy at temperature 0; else temperature, top-k, top-p,
  // renormalise, then the inverse CDF over the kept tokens in sorted order
  return torch::zeros({logits.size(0)}, torch::kInt64);  // TODO: replace with the sampled ids
}

}  // namespace kata

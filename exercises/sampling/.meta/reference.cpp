#include "sampling.h"

#include <limits>

namespace kata {

// Token ids in sorted order: value descending, equal values by the lower id (a stable sort keeps the id order).
static torch::Tensor sorted_ids(const torch::Tensor& x) {
  return std::get<1>(x.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));  // (B, V)
}

torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k) {
  const int64_t V = logits.size(-1);
  if (k <= 0 || k >= V) return torch::ones_like(logits, torch::kBool);            // (B, V)
  auto top = sorted_ids(logits).narrow(/*dim=*/-1, /*start=*/0, /*length=*/k);    // (B, k) the first k ids
  return torch::zeros_like(logits, torch::kBool).scatter(/*dim=*/-1, top, true);  // (B, V)
}

torch::Tensor top_p_mask(const torch::Tensor& logits, double p) {
  auto order = sorted_ids(logits);                                  // (B, V)
  auto sorted = logits.gather(/*dim=*/-1, order);                   // (B, V) descending
  auto probs = torch::softmax(sorted, /*dim=*/-1);                  // (B, V) -inf -> 0
  auto before = probs.cumsum(/*dim=*/-1) - probs;                   // (B, V) mass of the tokens before each one
  auto keep = sorted.isfinite();                                    // (B, V) -inf is never kept
  if (p < 1.0) keep = keep & (before < p);                          // the first token has 0 before it: always kept
  return torch::zeros_like(keep).scatter(/*dim=*/-1, order, keep);  // (B, V) back to token ids
}

torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u) {
  if (temperature == 0.0) return logits.argmax(/*dim=*/-1);  // (B,) first maximum: ties to the lowest id
  const double inf = std::numeric_limits<double>::infinity();
  auto x = logits / temperature;                                // (B, V)
  x = x.masked_fill(top_k_mask(x, top_k).logical_not(), -inf);  // (B, V) top-k removed
  x = x.masked_fill(top_p_mask(x, top_p).logical_not(), -inf);  // (B, V) top-p on what is left
  auto order = sorted_ids(x);                                   // (B, V) kept tokens first
  auto cdf = torch::softmax(x.gather(/*dim=*/-1, order), /*dim=*/-1).cumsum(/*dim=*/-1);  // (B, V) renormalised
  auto last = x.isfinite().sum(/*dim=*/-1, /*keepdim=*/true) - 1;          // (B, 1) position of the last kept token
  auto pos = (cdf <= u.unsqueeze(-1)).sum(/*dim=*/-1, /*keepdim=*/true);   // (B, 1) first position with cdf > u
  return order.gather(/*dim=*/-1, torch::minimum(pos, last)).squeeze(-1);  // (B,) int64 token ids
}

}  // namespace kata

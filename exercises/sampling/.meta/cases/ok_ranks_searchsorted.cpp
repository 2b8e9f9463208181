// expect: accepted
// why: vectorised another way: each token's rank (the inverse of the stable descending sort's permutation) gives top-k as rank < k and carries the sorted top-p flags back with gather; the mass before each token is an exclusive cumsum (a zero column, then the cumsum without its last column); the softmax is by hand; torch::searchsorted(cdf, u, right = true) finds the first cumulative probability above u, clamped to the last kept token; greedy as the first position equal to the row max
#include "sampling.h"

#include <limits>

namespace kata {
namespace {

torch::Tensor descending(const torch::Tensor& x) { return std::get<1>(x.sort(/*stable=*/true, -1, true)); }

torch::Tensor ranks(const torch::Tensor& x) {
  return descending(x).argsort(/*dim=*/-1, /*descending=*/false);
}  // a permutation: no ties

}  // namespace

torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k) {
  if (k <= 0 || k >= logits.size(1)) return torch::ones_like(logits, torch::kBool);
  return ranks(logits) < k;
}

torch::Tensor top_p_mask(const torch::Tensor& logits, double p) {
  const int64_t V = logits.size(1);
  auto order = descending(logits);
  auto sorted = logits.gather(1, order);
  auto e = (sorted - sorted.narrow(1, 0, 1)).exp();  // -inf -> 0
  auto probs = e / e.sum(-1, true);
  auto before = torch::cat({torch::zeros_like(probs.narrow(1, 0, 1)), probs.cumsum(-1).narrow(1, 0, V - 1)}, 1);
  auto keep_sorted = p >= 1.0 ? torch::ones_like(before, torch::kBool) : before < p;
  return keep_sorted.gather(1, ranks(logits)) & logits.isfinite();
}

torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u) {
  if (temperature == 0.0) return (logits == logits.amax(-1, true)).to(torch::kInt64).argmax(-1);
  auto minus_inf = torch::full({}, -std::numeric_limits<double>::infinity(), logits.options());
  auto x = logits / temperature;
  x = torch::where(top_k_mask(x, top_k), x, minus_inf);
  x = torch::where(top_p_mask(x, top_p), x, minus_inf);
  auto order = descending(x);
  auto sorted = x.gather(1, order);
  auto e = (sorted - sorted.narrow(1, 0, 1)).exp();
  auto cdf = (e / e.sum(-1, true)).cumsum(-1).contiguous();
  auto pos = torch::searchsorted(cdf, u.unsqueeze(1).to(cdf.scalar_type()).contiguous(), /*out_int32=*/false,
                                 /*right=*/true);
  pos = torch::minimum(pos, x.isfinite().sum(-1, true) - 1);
  return order.gather(1, pos).squeeze(1);
}

}  // namespace kata

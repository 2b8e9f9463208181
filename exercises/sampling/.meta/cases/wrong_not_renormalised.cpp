// expect: wrong_answer Sampling.TopKThenTopP
// mistake: kept probabilities not renormalised before the draw
// why: after top-k and top-p the kept probabilities sum to less than 1, so their CDF stops short of 1 and every u above it falls to the last kept token; renormalise (divide by their sum, or take the softmax over the kept logits) before the cumsum
#include "sampling.h"

#include <limits>

namespace kata {

static torch::Tensor sorted_ids(const torch::Tensor& x) {
  return std::get<1>(x.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));
}

torch::Tensor top_k_mask(const torch::Tensor& logits, int64_t k) {
  const int64_t V = logits.size(1);
  if (k == 0 || k >= V) return torch::ones_like(logits, torch::kBool);
  auto top = sorted_ids(logits).narrow(1, 0, k);
  return torch::zeros_like(logits, torch::kBool).scatter(1, top, true);
}

torch::Tensor top_p_mask(const torch::Tensor& logits, double p) {
  auto ids = sorted_ids(logits);
  auto probs = torch::softmax(logits, -1).gather(1, ids);
  auto keep = (probs.cumsum(-1) - probs) < p;
  if (p >= 1.0) keep = torch::ones_like(keep);
  keep = keep & logits.gather(1, ids).isfinite();
  return torch::zeros_like(keep).scatter(1, ids, keep);
}

torch::Tensor sample(const torch::Tensor& logits, double temperature, int64_t top_k, double top_p,
                     const torch::Tensor& u) {
  if (temperature == 0.0) return logits.argmax(-1);
  const double inf = std::numeric_limits<double>::infinity();
  auto x = logits / temperature;
  auto full = torch::softmax(x, -1);  // (B, V) before filtering
  x = x.masked_fill(top_k_mask(x, top_k).logical_not(), -inf);
  x = x.masked_fill(top_p_mask(x, top_p).logical_not(), -inf);
  auto ids = sorted_ids(x);
  auto kept = x.isfinite();
  auto cdf = full.masked_fill(kept.logical_not(), 0.0).gather(1, ids).cumsum(-1);  // not renormalised
  auto last = kept.sum(-1, /*keepdim=*/true) - 1;
  auto pos = torch::minimum((cdf <= u.unsqueeze(1)).sum(-1, /*keepdim=*/true), last);
  return ids.gather(1, pos).squeeze(1);
}

}  // namespace kata

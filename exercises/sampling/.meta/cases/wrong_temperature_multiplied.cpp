// expect: wrong_answer Sampling.Temperature
// mistake: logits multiplied by the temperature instead of divided
// why: logits * T sharpens the distribution when T > 1 and flattens it when T < 1, the opposite of temperature; softmax(logits / T): T < 1 sharper, T > 1 flatter, T -> 0 greedy
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
  auto x = logits * temperature;
  x = x.masked_fill(top_k_mask(x, top_k).logical_not(), -inf);
  x = x.masked_fill(top_p_mask(x, top_p).logical_not(), -inf);
  auto ids = sorted_ids(x);
  auto cdf = torch::softmax(x, -1).gather(1, ids).cumsum(-1);
  auto last = x.isfinite().sum(-1, /*keepdim=*/true) - 1;
  auto pos = torch::minimum((cdf <= u.unsqueeze(1)).sum(-1, /*keepdim=*/true), last);
  return ids.gather(1, pos).squeeze(1);
}

}  // namespace kata

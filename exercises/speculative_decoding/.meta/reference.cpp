#include "speculative_decoding.h"

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t k = q.size(1);
  auto ids = draft.unsqueeze(-1);                                                          // (B, k, 1)
  auto p_x = p.narrow(/*dim=*/1, /*start=*/0, /*length=*/k).gather(/*dim=*/-1, ids).squeeze(-1);  // (B, k)
  auto q_x = q.gather(/*dim=*/-1, ids).squeeze(-1);                                        // (B, k)
  auto ratio = p_x / torch::where(q_x > 0, q_x, torch::ones_like(q_x));                    // (B, k) never 0 / 0
  return torch::where(q_x <= p_x, torch::ones_like(ratio), ratio);                         // (B, k) min(1, p / q)
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  auto r = (p - q).clamp_min(0);                                      // (..., V) max(0, p - q)
  auto mass = r.sum(/*dim=*/-1, /*keepdim=*/true);                    // (..., 1)
  auto safe = torch::where(mass > 0, mass, torch::ones_like(mass));   // (..., 1) no 0 / 0, even in backward
  return torch::where(mass > 0, r / safe, p);                         // (..., V) p where p == q
}

// The first id whose cumulative probability exceeds u (strictly), in vocabulary order; the last id of nonzero
// probability when rounding leaves none.
static torch::Tensor inverse_cdf(const torch::Tensor& probs, const torch::Tensor& u) {
  auto cdf = probs.cumsum(/*dim=*/-1);                                                   // (B, V)
  auto pos = (cdf <= u.unsqueeze(-1)).sum(/*dim=*/-1);                                   // (B,) ids passed over
  auto ids = torch::arange(probs.size(-1), torch::TensorOptions(torch::kInt64));         // (V,)
  auto last = torch::where(probs > 0, ids, torch::zeros_like(ids)).amax(/*dim=*/-1);     // (B,)
  return torch::minimum(pos, last);                                                      // (B,) int64
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1), V = q.size(2);
  auto accepted = u_accept < acceptance_probability(p, q, draft);                 // (B, k) strictly below
  auto n = accepted.to(torch::kInt64).cumprod(/*dim=*/1).sum(/*dim=*/1);          // (B,) up to the first rejection
  auto residual = residual_distribution(p.narrow(/*dim=*/1, /*start=*/0, /*length=*/k), q);  // (B, k, V)
  auto dists = torch::cat({residual, p.narrow(/*dim=*/1, /*start=*/k, /*length=*/1)}, /*dim=*/1);  // (B, k + 1, V)
  auto chosen = dists.gather(/*dim=*/1, n.view({B, 1, 1}).expand({B, 1, V})).squeeze(1);  // (B, V) row n_b
  auto token = inverse_cdf(chosen, u_sample);                                              // (B,)
  auto pos = torch::arange(k + 1, n.options()).unsqueeze(0);                               // (1, k + 1)
  auto none = torch::full({B, 1}, -1, draft.options());                                    // (B, 1)
  auto tokens = torch::where(pos < n.unsqueeze(1), torch::cat({draft, none}, /*dim=*/1), none);  // (B, k + 1)
  tokens = torch::where(pos == n.unsqueeze(1), token.unsqueeze(1), tokens);                // (B, k + 1)
  return {tokens, n};
}

}  // namespace kata

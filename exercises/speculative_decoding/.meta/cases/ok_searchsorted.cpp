// expect: accepted
// why: vectorised another way: the drafted ids' probabilities by a one-hot product, the acceptance probability as clamp_max(p / q, 1) with q = 0 handled by a where, the first rejection by argmax over the rejection flags with a sentinel column, the bonus row treated as a residual with q = 0 (norm(max(0, p - 0)) is p, up to rounding), and the inverse CDF by searchsorted(right=true) on a float64 CDF
#include "speculative_decoding.h"

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t k = q.size(1), V = q.size(2);
  auto hot = torch::one_hot(draft, V).to(p.scalar_type());       // (B, k, V)
  auto px = (p.narrow(1, 0, k) * hot).sum(-1);                   // (B, k)
  auto qx = (q * hot).sum(-1);                                   // (B, k)
  auto safe_q = torch::where(qx > 0, qx, torch::ones_like(qx));  // q == 0: p / 1, replaced below
  return torch::where(qx > 0, torch::clamp_max(px / safe_q, 1.0), torch::ones_like(qx));
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  auto r = (p - q).clamp_min(0);
  auto mass = r.sum(-1, /*keepdim=*/true);
  return torch::where(mass > 0, r / mass.clamp_min(1e-30), p);
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1), V = q.size(2);
  auto rejected = u_accept >= acceptance_probability(p, q, draft);                        // (B, k)
  auto flags = torch::cat({rejected, torch::ones({B, 1}, torch::kBool)}, 1).to(torch::kInt64);
  auto n = flags.argmax(1);  // (B,) the first rejection, or k (the sentinel) when there is none
  auto at_n = n.view({B, 1, 1}).expand({B, 1, V});
  auto q_padded = torch::cat({q, torch::zeros({B, 1, V}, q.options())}, 1);  // q = 0 after the last draft
  auto dist = residual_distribution(p.gather(1, at_n).squeeze(1), q_padded.gather(1, at_n).squeeze(1));  // (B, V)
  auto cdf = dist.to(torch::kFloat64).cumsum(-1).contiguous();
  auto u = u_sample.to(torch::kFloat64).unsqueeze(1).contiguous();
  auto id = torch::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/true).squeeze(1);  // first cdf > u
  auto last = (V - 1) - (dist > 0).flip({-1}).to(torch::kInt64).argmax(-1);                 // last nonzero id
  auto tok = torch::minimum(id, last);
  auto positions = torch::arange(k + 1, torch::kInt64).unsqueeze(0);
  auto tokens = torch::cat({draft, torch::zeros({B, 1}, torch::kInt64)}, 1).masked_fill(positions >= n.unsqueeze(1), -1);
  tokens.scatter_(1, n.unsqueeze(1), tok.unsqueeze(1));
  return {tokens, n};
}

}  // namespace kata

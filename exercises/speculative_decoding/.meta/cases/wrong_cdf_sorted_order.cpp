// expect: wrong_answer SpeculativeDecoding.InverseCdfInVocabularyOrder
// mistake: inverse CDF walked in sorted order (as in top-p) instead of vocabulary order
// why: sorting the probabilities first is a valid sampler, but a different function of u than the contract's: the cumulative sum runs over token ids 0 .. V-1 as they are; drop the sort
#include "speculative_decoding.h"

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t k = q.size(1);
  auto idx = draft.unsqueeze(-1);
  auto px = p.slice(1, 0, k).gather(-1, idx).squeeze(-1);  // (B, k) target prob of each drafted token
  auto qx = q.gather(-1, idx).squeeze(-1);                 // (B, k) draft prob of each drafted token
  return torch::where(qx <= px, torch::ones_like(px), px / torch::where(qx > 0, qx, torch::ones_like(qx)));
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  auto r = torch::relu(p - q);
  auto s = r.sum(-1, /*keepdim=*/true);
  return torch::where(s > 0, r / torch::where(s > 0, s, torch::ones_like(s)), p);
}

// inverse CDF: one token per row of probs (B, V), with u (B,)
static torch::Tensor draw(const torch::Tensor& probs, const torch::Tensor& u) {
  auto sorted = probs.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true);
  auto cdf = std::get<0>(sorted).cumsum(-1).to(torch::kDouble);
  auto pos = torch::clamp_max((cdf <= u.unsqueeze(-1)).sum(-1, /*keepdim=*/true), probs.size(-1) - 1);
  return std::get<1>(sorted).gather(-1, pos).squeeze(-1);
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1), V = q.size(2);
  auto ok = u_accept < acceptance_probability(p, q, draft);
  auto n = ok.to(torch::kLong).cumprod(1).sum(1);
  auto dists = torch::cat({residual_distribution(p.slice(1, 0, k), q), p.slice(1, k, k + 1)}, 1);  // (B, k + 1, V)
  auto row = dists.gather(1, n.view({B, 1, 1}).expand({B, 1, V})).squeeze(1);
  auto tok = draw(row, u_sample);
  auto tokens = torch::full({B, k + 1}, -1, torch::kLong);
  auto pos = torch::arange(k + 1, torch::kLong).unsqueeze(0);
  tokens = torch::where(pos < n.unsqueeze(1), torch::cat({draft, tokens.slice(1, 0, 1)}, 1), tokens);
  tokens = torch::where(pos == n.unsqueeze(1), tok.unsqueeze(1), tokens);
  return {tokens, n};
}

}  // namespace kata

// expect: wrong_answer SpeculativeDecoding.StopsAtFirstRejection
// mistake: the token after a rejection sampled from p, not from the residual
// why: residual_distribution is right, but speculative_accept samples the correction from p[n] itself: the tokens the draft already proposes are then over-represented; sample from residual_distribution(p[n], q[n]) at the rejected position, and from p[k] only after k acceptances
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
  auto cdf = probs.cumsum(-1).to(torch::kDouble);
  auto pos = (cdf <= u.unsqueeze(-1)).sum(-1);
  auto ids = torch::arange(probs.size(-1), torch::kLong);
  auto last = (ids * (probs > 0)).amax(-1);
  return torch::minimum(pos, last);
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1), V = q.size(2);
  auto ok = u_accept < acceptance_probability(p, q, draft);
  auto n = ok.to(torch::kLong).cumprod(1).sum(1);
  auto dists = p;  // (B, k + 1, V)
  auto row = dists.gather(1, n.view({B, 1, 1}).expand({B, 1, V})).squeeze(1);
  auto tok = draw(row, u_sample);
  auto tokens = torch::full({B, k + 1}, -1, torch::kLong);
  auto pos = torch::arange(k + 1, torch::kLong).unsqueeze(0);
  tokens = torch::where(pos < n.unsqueeze(1), torch::cat({draft, tokens.slice(1, 0, 1)}, 1), tokens);
  tokens = torch::where(pos == n.unsqueeze(1), tok.unsqueeze(1), tokens);
  return {tokens, n};
}

}  // namespace kata

// expect: wrong_answer SpeculativeDecoding.AcceptanceGradients
// mistake: acceptance probabilities computed from .item() values and written into a new tensor
// why: the numbers are right, but a tensor filled from plain doubles has no autograd history, so no gradient reaches p or q; compute min(1, p[x] / q[x]) with tensor ops (gather, division, where or clamp_max) on p and q themselves
#include "speculative_decoding.h"

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t B = q.size(0), k = q.size(1);
  auto a = torch::empty({B, k}, p.options());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < k; ++i) {
      const int64_t x = draft[b][i].item<int64_t>();
      const double px = p[b][i][x].item<double>(), qx = q[b][i][x].item<double>();
      a[b][i] = qx <= px ? 1.0 : px / qx;  // the right numbers, written into a tensor with no graph
    }
  return a;
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

// expect: wrong_answer SpeculativeDecoding.StopsAtFirstRejection
// mistake: the loop goes on after a rejection (no break)
// why: after a rejection the loop keeps judging the later drafts, keeping the accepted ones and resampling each rejected one, but every draft after the first rejection was proposed after a token that is now replaced, so it is conditioned on the wrong prefix; break out of the loop at the first rejection: n_accepted is the run of acceptances before it
#include "speculative_decoding.h"

#include <vector>

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  const int64_t k = q.size(1);
  auto px = p.narrow(1, 0, k).gather(2, draft.unsqueeze(2)).squeeze(2);
  auto qx = q.gather(2, draft.unsqueeze(2)).squeeze(2);
  return torch::where(qx <= px, torch::ones_like(px), px / torch::where(qx > 0, qx, torch::ones_like(qx)));
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  auto r = (p - q).clamp_min(0);
  auto s = r.sum(-1, true);
  return torch::where(s > 0, r / torch::where(s > 0, s, torch::ones_like(s)), p);
}

static int64_t inverse_cdf(const torch::Tensor& probs, double u) {
  auto cdf = probs.to(torch::kFloat64).cumsum(0);
  const int64_t V = probs.size(0);
  for (int64_t v = 0; v < V; ++v)
    if (probs[v].item<double>() > 0 && cdf[v].item<double>() > u) return v;
  return V - 1;
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  const int64_t B = q.size(0), k = q.size(1);
  auto a = acceptance_probability(p, q, draft);
  auto tokens = torch::full({B, k + 1}, -1, torch::kInt64);
  auto n_accepted = torch::zeros({B}, torch::kInt64);
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    bool rejected = false;
    for (int64_t i = 0; i < k; ++i) {
      if (u_accept[b][i].item<double>() < a[b][i].item<double>()) {
        tokens[b][i] = draft[b][i].item<int64_t>();
        if (!rejected) ++n;
      } else {
        tokens[b][i] = inverse_cdf(residual_distribution(p[b][i], q[b][i]), u_sample[b].item<double>());
        rejected = true;  // no break: the later drafts are still judged
      }
    }
    if (!rejected) tokens[b][k] = inverse_cdf(p[b][k], u_sample[b].item<double>());
    n_accepted[b] = n;
  }
  return {tokens, n_accepted};
}

}  // namespace kata

// expect: accepted
// why: keeps one running log-sum-exp per query instead of a max and a sum, and a running output that is always normalised: each block's log-sum-exp is merged with logaddexp, and the old output is reweighted by exp(lse_old - lse_new); fully masked rows of a block are skipped by where
#include "flash_attention.h"

#include <cmath>
#include <limits>

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  const int64_t T = q.size(2);
  const double inf = std::numeric_limits<double>::infinity();
  auto qs = q / std::sqrt(static_cast<double>(q.size(3)));
  auto lse = torch::full(q.sizes().slice(0, 3), -inf, q.options()).unsqueeze(-1);  // [B, H, T, 1]
  auto out = torch::zeros_like(q);
  for (int64_t start = 0; start < T; start += block_size) {
    const int64_t end = std::min(T, start + block_size);
    auto s = torch::matmul(qs, k.slice(2, start, end).transpose(2, 3));
    if (causal) {
      auto future = torch::arange(start, end).view({1, -1}) > torch::arange(T).view({-1, 1});
      s = s.masked_fill(future, -inf);
    }
    auto block_lse = torch::logsumexp(s, -1, /*keepdim=*/true);
    auto new_lse = torch::logaddexp(lse, block_lse);
    auto seen = new_lse > -inf;  // false only for a query whose keys are all masked so far
    auto keep = torch::where(seen, torch::exp(lse - new_lse), torch::zeros_like(lse));
    auto p = torch::where(seen, torch::exp(s - new_lse), torch::zeros_like(s));
    out = out * keep + torch::matmul(p, v.slice(2, start, end));
    lse = new_lse;
  }
  return {out, lse.squeeze(-1)};
}

}  // namespace kata

// expect: accepted
// why: FlashAttention-2's loop order: an outer loop over tiles of block_size queries, each with its own running max, sum and output over an inner loop of key tiles; causal tiles entirely in a query tile's future are skipped, and the softmax is written with the lowest finite value as the mask
#include "flash_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const double lowest = q.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                             : std::numeric_limits<float>::lowest();
  std::vector<torch::Tensor> outs, lses;
  for (int64_t qs = 0; qs < T; qs += block_size) {
    const int64_t qn = std::min(block_size, T - qs);
    auto qt = q.narrow(2, qs, qn) * scale;
    torch::Tensor m, l, acc;
    for (int64_t ks = 0; ks < T; ks += block_size) {
      if (causal && ks > qs + qn - 1) break;  // every key of this tile is after every query of the query tile
      const int64_t kn = std::min(block_size, T - ks);
      auto s = torch::matmul(qt, k.narrow(2, ks, kn).transpose(2, 3));  // [B, H, qn, kn]
      torch::Tensor allowed;
      if (causal) {
        allowed = torch::arange(ks, ks + kn).unsqueeze(0) <= torch::arange(qs, qs + qn).unsqueeze(1);
        s = s.masked_fill(allowed.logical_not(), lowest);
      }
      auto tile_max = std::get<0>(s.max(-1, /*keepdim=*/true));
      auto m_new = m.defined() ? torch::max(m, tile_max) : tile_max;
      auto p = (s - m_new).exp();
      if (causal) p = p * allowed;
      auto vt = v.narrow(2, ks, kn);
      if (!m.defined()) {
        l = p.sum(-1, /*keepdim=*/true);
        acc = torch::matmul(p, vt);
      } else {
        auto r = (m - m_new).exp();
        l = l * r + p.sum(-1, /*keepdim=*/true);
        acc = acc * r + torch::matmul(p, vt);
      }
      m = m_new;
    }
    outs.push_back(acc / l);
    lses.push_back((m + l.log()).squeeze(-1));
  }
  return {torch::cat(outs, 2), torch::cat(lses, 2)};
}

}  // namespace kata

// expect: wrong_answer FlashAttention.OutputFloat64
// mistake: causal mask from the key's position inside its block
// why: in block b, local key j is absolute position start + j; comparing j itself with query i lets queries see keys up to start + i, in the future; compare torch::arange(start, start + len) with the query positions
#include "flash_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kata {

FlashOutput flash_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                            int64_t block_size) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const double neg_inf = -std::numeric_limits<double>::infinity();

  // Per query: the largest score so far, the sum of exp(score - max) so far, the output so far (unnormalised).
  auto m = torch::full({B, H, T, 1}, neg_inf, q.options());  // (B, H, T, 1)
  auto l = torch::zeros({B, H, T, 1}, q.options());          // (B, H, T, 1)
  auto acc = torch::zeros({B, H, T, D}, q.options());        // (B, H, T, D)
  auto query_pos = torch::arange(T).unsqueeze(1);            // (T, 1)

  for (int64_t start = 0; start < T; start += block_size) {
    const int64_t len = std::min(block_size, T - start);
    auto kb = k.narrow(/*dim=*/2, start, len), vb = v.narrow(/*dim=*/2, start, len);  // (B, H, len, D)
    auto s = torch::matmul(q, kb.transpose(-2, -1)) * scale;                           // (B, H, T, len)
    if (causal) s = s.masked_fill(torch::arange(0, len).unsqueeze(0) > query_pos, neg_inf);
    auto m_new = torch::maximum(m, s.amax(/*dim=*/-1, /*keepdim=*/true));
    auto p = torch::exp(s - m_new);         // this block's weights, relative to the new maximum
    auto rescale = torch::exp(m - m_new);  // what the old sums are worth relative to it
    l = l * rescale + p.sum(/*dim=*/-1, /*keepdim=*/true);
    acc = acc * rescale + torch::matmul(p, vb);
    m = m_new;
  }
  // Blocks run from key 0, which every query may see, so m is finite and l > 0 for every query.
  return {acc / l, (m + torch::log(l)).squeeze(-1)};
}

}  // namespace kata

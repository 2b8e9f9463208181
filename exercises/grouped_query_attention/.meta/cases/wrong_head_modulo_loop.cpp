// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// why: the same mapping as tiling with .repeat, written by hand: query head h reads kv head h % kv_heads instead of h / group; matching is by values, so the judge names the known mistake kv_repeated_not_interleaved for it
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t Hq = q.size(1), Hkv = k.size(1), T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < Hq; ++h) {
    auto qh = q.select(1, h);        // [B, T, D]
    auto kh = k.select(1, h % Hkv);  // its kv head
    auto vh = v.select(1, h % Hkv);
    auto scores = torch::bmm(qh, kh.transpose(1, 2)) * scale;  // [B, T, T]
    if (causal)
      scores = scores.masked_fill(torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1),
                                  -std::numeric_limits<double>::infinity());
    heads.push_back(torch::bmm(torch::softmax(scores, -1), vh));
  }
  return torch::stack(heads, 1);
}

}  // namespace kata

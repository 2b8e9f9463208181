// expect: runtime_error
// why: query head h is sent to kv head h / kv_heads instead of h / group (group = q_heads / kv_heads): right only when the two are equal, and past the last kv head once q_heads > kv_heads * kv_heads (with one kv head, head 1 asks for kv head 1), so select throws "index out of range"
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t Hq = q.size(1), Hkv = k.size(1), T = q.size(2);
  std::vector<torch::Tensor> heads;
  for (int64_t h = 0; h < Hq; ++h) {
    auto kh = k.select(1, h / Hkv);
    auto vh = v.select(1, h / Hkv);
    auto scores = torch::matmul(q.select(1, h), kh.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
    if (causal)
      scores = scores.masked_fill(torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1),
                                  -std::numeric_limits<double>::infinity());
    heads.push_back(torch::matmul(torch::softmax(scores, -1), vh));
  }
  return torch::stack(heads, 1);
}

}  // namespace kata

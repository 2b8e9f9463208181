// expect: accepted
// why: one kv head at a time: its group of query heads is q.narrow(1, j * group, group), and k.narrow(1, j, 1) broadcasts over that group; the groups are joined with torch::cat in head order; softmax by hand, stably (row max subtracted, the lowest finite value as the mask)
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t Hkv = k.size(1), T = q.size(2);
  const int64_t group = q.size(1) / Hkv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const double lowest = q.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                             : std::numeric_limits<float>::lowest();
  std::vector<torch::Tensor> groups;
  for (int64_t j = 0; j < Hkv; ++j) {
    auto qj = q.narrow(1, j * group, group);  // [B, group, T, D]
    auto kj = k.narrow(1, j, 1);              // [B, 1, T, D]
    auto vj = v.narrow(1, j, 1);
    auto scores = torch::matmul(qj * scale, kj.transpose(2, 3));  // [B, group, T, T]
    if (causal) scores = scores.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), lowest);
    auto e = torch::exp(scores - std::get<0>(scores.max(-1, /*keepdim=*/true)));
    groups.push_back(torch::matmul(e / e.sum(-1, /*keepdim=*/true), vj));
  }
  return torch::cat(groups, 1);
}

}  // namespace kata

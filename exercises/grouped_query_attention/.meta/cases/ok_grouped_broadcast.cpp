// expect: accepted
// why: no copy of k or v: q is viewed as [B, Hkv, group, T, D] (the consecutive query heads of a group side by side) and k, v get a size-1 group axis, so matmul broadcasts each kv head over its group; the result is reshaped back to [B, Hq, T, D]; an additive -inf mask built with q.options()
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t B = q.size(0), Hq = q.size(1), Hkv = k.size(1), T = q.size(2), D = q.size(3);
  const int64_t group = Hq / Hkv;
  auto qg = q.reshape({B, Hkv, group, T, D});
  auto kg = k.unsqueeze(2);  // [B, Hkv, 1, T, D]
  auto vg = v.unsqueeze(2);
  auto scores = torch::matmul(qg, kg.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));  // [B, Hkv, group, T, T]
  if (causal) scores = scores + torch::full({T, T}, -std::numeric_limits<double>::infinity(), q.options()).triu(1);
  auto out = torch::matmul(torch::softmax(scores, -1), vg);  // [B, Hkv, group, T, D]
  return out.reshape({B, Hq, T, D});
}

}  // namespace kata

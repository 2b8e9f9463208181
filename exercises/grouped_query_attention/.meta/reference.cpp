#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t Hq = q.size(1), Hkv = k.size(1), T = q.size(2), D = q.size(3);
  const int64_t n_rep = Hq / Hkv;  // query heads per kv head

  // Query head h reads kv head h / n_rep: each kv head is repeated n_rep times in place (0 0 1 1 ...),
  // not tiled (0 1 0 1 ..., which is what .repeat would do).
  auto k_rep = k.repeat_interleave(n_rep, /*dim=*/1);  // (B, Hq, T, D)
  auto v_rep = v.repeat_interleave(n_rep, /*dim=*/1);  // (B, Hq, T, D)

  auto att = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));  // (B, Hq, T, T)
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(/*diagonal=*/1);
    att = att.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  att = torch::softmax(att, /*dim=*/-1);
  return torch::matmul(att, v_rep);  // (B, Hq, T, D)
}

}  // namespace kata

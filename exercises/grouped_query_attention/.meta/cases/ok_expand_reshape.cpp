// expect: accepted
// why: llama's repeat_kv done on the right axis: a new axis right after the kv heads, expanded to the group size and flattened into them, so the copies of kv head j land at heads j * group .. j * group + group-1; heads folded into the batch for baddbmm and bmm
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t B = q.size(0), Hq = q.size(1), Hkv = k.size(1), T = q.size(2), D = q.size(3);
  const int64_t n_rep = Hq / Hkv;
  auto repeat_kv = [&](const torch::Tensor& x) {
    return x.unsqueeze(2).expand({B, Hkv, n_rep, T, D}).reshape({B * Hq, T, D});
  };
  auto q3 = q.reshape({B * Hq, T, D});
  auto bias = torch::zeros({T, T}, q.options());
  if (causal)
    bias = bias.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  auto scores = torch::baddbmm(bias, q3, repeat_kv(k).transpose(1, 2), /*beta=*/1.0,
                               /*alpha=*/1.0 / std::sqrt(static_cast<double>(D)));
  return torch::bmm(torch::softmax(scores, -1), repeat_kv(v)).reshape({B, Hq, T, D});
}

}  // namespace kata

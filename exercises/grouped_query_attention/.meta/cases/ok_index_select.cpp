// expect: accepted
// why: the kv head of every query head computed as a tensor, arange(Hq) floor-divided by the group size (0 0 1 1 ...), then index_select gathers them; einsum for the dot products, and torch::where with a tril mask keeps j <= i
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t Hq = q.size(1), Hkv = k.size(1), T = q.size(2);
  auto kv_of_head = torch::arange(Hq, torch::kLong).div(Hq / Hkv, /*rounding_mode=*/"floor");
  auto keys = k.index_select(1, kv_of_head);
  auto values = v.index_select(1, kv_of_head);
  auto scores = torch::einsum("bhid,bhjd->bhij", {q, keys}) * (1.0 / std::sqrt(static_cast<double>(q.size(3))));
  if (causal) {
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    scores = torch::where(allowed, scores, torch::full({}, -std::numeric_limits<double>::infinity(), q.options()));
  }
  return torch::einsum("bhij,bhjd->bhid", {torch::softmax(scores, -1), values});
}

}  // namespace kata

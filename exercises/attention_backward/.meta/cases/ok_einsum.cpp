// expect: accepted
// why: every product as an einsum with named indices (i query, j key, d feature), so no transpose can be swapped; the mask as an additive -inf bias built with torch::full in the inputs' dtype
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto s = torch::einsum("bhid,bhjd->bhij", {q, k}) * scale;
  if (causal) s = s + torch::full({T, T}, -std::numeric_limits<double>::infinity(), q.options()).triu(1);
  auto p = torch::softmax(s, -1);
  auto dv = torch::einsum("bhij,bhid->bhjd", {p, grad_out});
  auto dp = torch::einsum("bhid,bhjd->bhij", {grad_out, v});
  auto row = torch::einsum("bhij,bhij->bhi", {dp, p}).unsqueeze(-1);
  auto ds = p * (dp - row);
  auto dq = torch::einsum("bhij,bhjd->bhid", {ds, k}) * scale;
  auto dk = torch::einsum("bhij,bhid->bhjd", {ds, q}) * scale;
  return {dq, dk, dv};
}

}  // namespace kata

// expect: accepted
// why: einsum spells out the dot products over d; the causal mask is added instead of filled: 0 on and below the diagonal, -inf above (torch::full(...).triu(1)), built with q.options() so it has the inputs' dtype
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  const double d = q.size(-1);
  auto mask = torch::full({T, T}, -std::numeric_limits<double>::infinity(), q.options()).triu(1);
  auto scores = torch::einsum("bhid,bhjd->bhij", {q, k}) / std::sqrt(d) + mask;
  auto weights = torch::softmax(scores, -1);
  return torch::einsum("bhij,bhjd->bhid", {weights, v});
}

}  // namespace kata

// expect: time_limit_exceeded
// why: an endless loop must be stopped at the time limit, not hang the judge
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  volatile bool forever = true;
  while (forever) {
  }
  return q;
}
}  // namespace kata

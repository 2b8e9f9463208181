// expect: accepted
// why: computing in float64 and casting the result back to the input dtype is allowed (the cast is differentiable); torch::where with a -inf tensor is another way to mask
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto qd = q.to(torch::kFloat64), kd = k.to(torch::kFloat64), vd = v.to(torch::kFloat64);
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(qd, kd.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto allowed = torch::ones({T, T}, torch::kBool).tril();
  auto minus_inf = torch::full({}, -std::numeric_limits<double>::infinity(), torch::kFloat64);
  scores = torch::where(allowed, scores, minus_inf);
  return torch::matmul(torch::softmax(scores, -1), vd).to(q.scalar_type());
}

}  // namespace kata

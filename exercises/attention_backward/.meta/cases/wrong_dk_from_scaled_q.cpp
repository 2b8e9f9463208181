// expect: wrong_answer AttentionBackward.GradsFloat64
// mistake: dk from the pre-scaled q, scaled again
// why: with S = (q * scale) k^T, dk = dS^T (q * scale) already holds the scale once; multiplying by scale again gives dk a factor scale^2, sqrt(head_dim) times too small; use the scaled q or the scale, not both
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto q_scaled = q * scale;  // scale the queries once, as many forwards do
  auto s = torch::matmul(q_scaled, k.transpose(-2, -1));
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    s = s.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  auto p = torch::softmax(s, -1);
  auto dv = torch::matmul(p.transpose(-2, -1), grad_out);
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = p * (dp - (dp * p).sum(-1, /*keepdim=*/true));
  auto dq = torch::matmul(ds, k) * scale;
  auto dk = torch::matmul(ds.transpose(-2, -1), q_scaled) * scale;
  return {dq, dk, dv};
}

}  // namespace kata

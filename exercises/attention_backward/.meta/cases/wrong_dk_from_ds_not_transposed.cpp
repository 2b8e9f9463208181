// expect: wrong_answer AttentionBackward.GradsFloat64
// mistake: dk = dS q instead of dS^T q
// why: key j's scores are column j of S, so dk[j] = scale * sum_i dS[i][j] q[i]: dS^T q; dS q sums over the wrong index
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto s = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    s = s.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  auto p = torch::softmax(s, -1);
  auto dv = torch::matmul(p.transpose(-2, -1), grad_out);
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = p * (dp - (dp * p).sum(-1, /*keepdim=*/true));
  auto dq = torch::matmul(ds, k) * scale;
  auto dk = torch::matmul(ds, q) * scale;
  return {dq, dk, dv};
}

}  // namespace kata

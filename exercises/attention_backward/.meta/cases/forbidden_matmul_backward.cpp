// expect: forbidden_call
// why: lets LibTorch's matmul_backward work out which side gets which transpose (dv and dP from out = P v, dq and dk from S = q k^T): the transposes are half the exercise
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto kt = k.transpose(-2, -1);
  auto s = torch::matmul(q, kt) * scale;
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  auto p = torch::softmax(s, -1);
  auto [dp, dv] = at::matmul_backward(grad_out, p, v, {true, true});
  auto ds = p * (dp - (dp * p).sum(-1, /*keepdim=*/true)) * scale;
  auto [dq, dkt] = at::matmul_backward(ds, q, kt, {true, true});
  return {dq, dkt.transpose(-2, -1), dv};
}

}  // namespace kata

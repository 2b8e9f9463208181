// expect: forbidden_call
// why: does the matmuls by hand but hands the softmax step to LibTorch's own softmax backward kernel, the one part of the chain rule here that is not a transpose
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto s = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (causal)
    s = s.masked_fill(torch::ones({T, T}, torch::kBool).triu(1), -std::numeric_limits<double>::infinity());
  auto p = torch::softmax(s, -1);
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = at::_softmax_backward_data(dp, p, -1, p.scalar_type());
  return {torch::matmul(ds, k) * scale, torch::matmul(ds.transpose(-2, -1), q) * scale,
          torch::matmul(p.transpose(-2, -1), grad_out)};
}

}  // namespace kata

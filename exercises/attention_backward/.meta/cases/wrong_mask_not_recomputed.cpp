// expect: wrong_answer AttentionBackward.GradsFloat64
// mistake: causal mask left out when recomputing P
// why: the backward must use the P the forward used: without the mask the recomputed P gives weight to keys j > i, so gradient leaks to future keys and values and every row with a hidden key is wrong; mask S with -inf for j > i when causal before the softmax
#include "attention_backward.h"

#include <cmath>

namespace kata {

// causal only shaped the forward's output; the backward recomputes P as if every key were visible.
AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                  bool /*causal*/, const torch::Tensor& grad_out) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto s = torch::matmul(q, k.transpose(-2, -1)) * scale;
  auto p = torch::softmax(s, -1);
  auto dv = torch::matmul(p.transpose(-2, -1), grad_out);
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = p * (dp - (dp * p).sum(-1, /*keepdim=*/true));
  auto dq = torch::matmul(ds, k) * scale;
  auto dk = torch::matmul(ds.transpose(-2, -1), q) * scale;
  return {dq, dk, dv};
}

}  // namespace kata

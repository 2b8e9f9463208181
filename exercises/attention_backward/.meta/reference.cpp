#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t T = q.size(2), D = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));

  // Recompute the forward's probabilities (what FlashAttention's backward does instead of storing them).
  auto att = torch::matmul(q, k.transpose(-2, -1)) * scale;  // (B, H, T, T)
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(/*diagonal=*/1);
    att = att.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  auto p = torch::softmax(att, /*dim=*/-1);  // (B, H, T, T), exactly 0 where masked

  // out = p v
  auto dv = torch::matmul(p.transpose(-2, -1), grad_out);  // (B, H, T, D)
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));  // (B, H, T, T)
  // softmax backward, row by row: ds = p * (dp - sum_j dp * p)
  auto ds = p * (dp - (dp * p).sum(/*dim=*/-1, /*keepdim=*/true));  // (B, H, T, T)
  // att = scale * q k^T
  auto dq = torch::matmul(ds, k) * scale;                    // (B, H, T, D)
  auto dk = torch::matmul(ds.transpose(-2, -1), q) * scale;  // (B, H, T, D)
  return {dq, dk, dv};
}

}  // namespace kata

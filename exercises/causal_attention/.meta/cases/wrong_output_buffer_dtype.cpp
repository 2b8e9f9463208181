// expect: wrong_answer CausalAttention.OutputFloat64
// mistake: output buffer made with the default dtype
// why: torch::zeros({B, H, T, D}) uses the default dtype float32, so float64 inputs come back as float32 (rounded); allocate with q.options() or torch::zeros_like(q), or collect the rows and torch::cat them
#include "causal_attention.h"

#include <cmath>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  auto out = torch::zeros({B, H, T, D});
  for (int64_t i = 0; i < T; ++i) {
    auto qi = q.select(2, i).unsqueeze(2);  // [B, H, 1, D]
    auto past_k = k.slice(2, 0, i + 1);     // [B, H, i+1, D]
    auto past_v = v.slice(2, 0, i + 1);
    auto scores = torch::matmul(qi, past_k.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
    out.select(2, i).copy_(torch::matmul(torch::softmax(scores, -1), past_v).squeeze(2));
  }
  return out;
}

}  // namespace kata

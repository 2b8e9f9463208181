// expect: accepted
// why: one query position at a time: query i only ever sees keys and values 0..i (narrow), so no mask is needed; the rows are joined with torch::cat along the sequence dimension
#include "causal_attention.h"

#include <cmath>
#include <vector>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < T; ++i) {
    auto qi = q.narrow(2, i, 1);        // [B, H, 1, D]
    auto past_k = k.narrow(2, 0, i + 1);  // [B, H, i+1, D]
    auto past_v = v.narrow(2, 0, i + 1);
    auto weights = torch::softmax(torch::matmul(qi, past_k.transpose(2, 3)) * scale, -1);  // [B, H, 1, i+1]
    rows.push_back(torch::matmul(weights, past_v));                                    // [B, H, 1, D]
  }
  return torch::cat(rows, 2);
}

}  // namespace kata

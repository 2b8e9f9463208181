// expect: runtime_error
// why: the mask is a std::vector<double> wrapped as a float64 tensor; adding it promotes float32 scores to float64, and matmul with the float32 v then throws ("expected scalar type Double but found Float"); create the mask with q.options() so it has the inputs' dtype
#include "causal_attention.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  std::vector<double> mask_values(T * T, 0.0);
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = i + 1; j < T; ++j) mask_values[i * T + j] = -std::numeric_limits<double>::infinity();
  auto mask = torch::from_blob(mask_values.data(), {T, T}, torch::kFloat64);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1))) + mask;
  return torch::matmul(torch::softmax(scores, -1), v);
}

}  // namespace kata

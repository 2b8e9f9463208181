// expect: accepted
// why: flattens x to [rows, d], takes the sums as matmuls with a column of ones, and reshapes back; RMSNorm from the L2 norm, rescaled to the root mean square (norm^2 / d)
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t d = x.size(-1);
  auto rows = x.reshape({-1, d});                                     // (N, d)
  auto ones = torch::ones({d, 1}, x.options());                      // (d, 1)
  auto centred = rows - torch::matmul(rows, ones) / d;               // (N, d)
  auto var = torch::matmul(centred * centred, ones) / d;             // (N, 1)
  auto out = centred / torch::sqrt(var + eps) * weight.reshape({1, d}) + bias.reshape({1, d});
  return out.reshape(x.sizes());
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const double d = static_cast<double>(x.size(-1));
  auto norm = torch::linalg_vector_norm(x, /*ord=*/2, /*dim=*/{-1}, /*keepdim=*/true);  // (..., 1)
  return x / torch::sqrt(norm * norm / d + eps) * weight;
}

}  // namespace kata

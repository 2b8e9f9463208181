// expect: accepted
// why: rewritten the slow, obvious way: the time-major tensor stacked one time step at a time, the kernel filled by two loops with std::pow, the std as the square root of the mean squared deviation, the target unsqueezed to [N, 1], and the gradients of the loss written out by hand
#include "silent_shapes.h"

#include <cmath>
#include <vector>

namespace kata {

torch::Tensor to_time_major(const torch::Tensor& x) {
  std::vector<torch::Tensor> steps;  // step t: x[:, :, t], [N, C]
  for (int64_t t = 0; t < x.size(2); ++t) steps.push_back(x.select(/*dim=*/2, t));
  return torch::stack(steps, /*dim=*/1);  // [N, T, C]
}

torch::Tensor smoothing_kernel(int64_t T, double decay) {
  std::vector<double> values(static_cast<size_t>(T * T), 0.0);
  for (int64_t t = 0; t < T; ++t) {
    double total = 0;
    for (int64_t j = 0; j <= t; ++j) total += std::pow(decay, static_cast<double>(t - j));
    for (int64_t j = 0; j <= t; ++j) values[static_cast<size_t>(t * T + j)] = std::pow(decay, static_cast<double>(t - j)) / total;
  }
  return torch::tensor(values, torch::kFloat64).reshape({T, T});
}

torch::Tensor standardise(const torch::Tensor& features) {
  auto centred = features - features.mean(/*dim=*/0);  // [N, F] - [F]
  auto std = centred.pow(2).mean(/*dim=*/0).sqrt();    // [F], population
  return centred / std;
}

torch::Tensor mse(const torch::Tensor& pred, const torch::Tensor& target) {
  auto error = pred - target.unsqueeze(1);  // [N, 1]
  return (error * error).sum() / static_cast<double>(pred.size(0));
}

torch::Tensor make_features(const torch::Tensor& x, double decay) {
  const int64_t T = x.size(2);
  auto kernel = smoothing_kernel(T, decay).to(x.scalar_type());
  auto smoothed = torch::matmul(kernel, to_time_major(x));  // [N, T, C]
  return standardise(smoothed.select(/*dim=*/1, T - 1));
}

FitResult fit(const torch::Tensor& x, const torch::Tensor& y, double decay, int64_t steps, double lr) {
  auto features = make_features(x, decay);  // [N, C]
  const double n = static_cast<double>(features.size(0));
  auto weight = torch::zeros({features.size(1), 1}, features.options());
  auto bias = torch::zeros({1}, features.options());
  FitResult result;
  for (int64_t step = 0; step < steps; ++step) {
    auto pred = torch::matmul(features, weight) + bias;  // [N, 1]
    result.losses.push_back(mse(pred, y).item<double>());
    auto residual = pred - y.unsqueeze(1);  // [N, 1]
    auto grad_weight = torch::matmul(features.t(), residual) * (2.0 / n);
    auto grad_bias = residual.sum(/*dim=*/0) * (2.0 / n);
    weight = weight - lr * grad_weight;
    bias = bias - lr * grad_bias;
  }
  result.weight = weight;
  result.bias = bias;
  return result;
}

}  // namespace kata

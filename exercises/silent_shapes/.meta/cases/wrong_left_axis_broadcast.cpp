// expect: wrong_answer SilentShapes.StandardiseOverExamples
// names: axis, broadcast
// A partial fix: the colleague's program with bugs 1, 2 fixed and 3, 4 left (1 reshape instead of permute, 2 kernel rows without keepdim, 3 statistics over the features, 4 [N, N] loss).
#include "silent_shapes.h"

#include <cmath>

namespace kata {

// The loader gives (N, C, T), channels first; the smoothing below works on (N, T, C).
torch::Tensor to_time_major(const torch::Tensor& x) {
  return x.permute({0, 2, 1});
}

// Exponential moving average as a matrix: row t weights step j <= t by decay^(t - j).
torch::Tensor smoothing_kernel(int64_t T, double decay) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto lag = torch::arange(T, opts).unsqueeze(1) - torch::arange(T, opts).unsqueeze(0);  // (T, T): t - j
  auto k = torch::pow(decay, lag.clamp_min(0)) * (lag >= 0);  // causal: nothing from the future
  return k / k.sum(/*dim=*/1, /*keepdim=*/true);              // each row sums to 1
}

// Zero mean and unit variance for every feature.
torch::Tensor standardise(const torch::Tensor& features) {
  auto mean = features.mean(/*dim=*/1, /*keepdim=*/true);
  auto std = features.std(/*dim=*/1, /*unbiased=*/false, /*keepdim=*/true);
  return (features - mean) / std;
}

torch::Tensor mse(const torch::Tensor& pred, const torch::Tensor& target) {
  return (pred - target).pow(2).mean();
}

torch::Tensor make_features(const torch::Tensor& x, double decay) {
  auto xt = to_time_major(x);  // (N, T, C)
  const int64_t T = xt.size(1);
  auto smoothed = torch::matmul(smoothing_kernel(T, decay).to(x.scalar_type()), xt);  // (N, T, C)
  return standardise(smoothed.select(/*dim=*/1, T - 1));                           // (N, C): the latest level
}

FitResult fit(const torch::Tensor& x, const torch::Tensor& y, double decay, int64_t steps, double lr) {
  auto features = make_features(x, decay);  // (N, C)
  auto weight = torch::zeros({features.size(1), 1}, features.options()).requires_grad_(true);
  auto bias = torch::zeros({1}, features.options()).requires_grad_(true);

  FitResult result;
  for (int64_t step = 0; step < steps; ++step) {
    auto pred = torch::matmul(features, weight) + bias;  // (N, 1)
    auto loss = mse(pred, y);
    result.losses.push_back(loss.item<double>());
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      weight -= lr * weight.grad();
      bias -= lr * bias.grad();
      weight.grad().zero_();
      bias.grad().zero_();
    }
  }
  result.weight = weight.detach();
  result.bias = bias.detach();
  return result;
}

}  // namespace kata

// expect: accepted
// why: other LibTorch calls: transpose(1, 2), the kernel from tril and closed-form row sums (1 - decay^(t + 1)) / (1 - decay), std_mean over dim 0, mse_loss on equal shapes, the last smoothed step as one einsum straight from [N, C, T], and torch::optim::SGD
#include "silent_shapes.h"

#include <cmath>

namespace kata {

torch::Tensor to_time_major(const torch::Tensor& x) { return x.transpose(1, 2); }

torch::Tensor smoothing_kernel(int64_t T, double decay) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto t = torch::arange(T, opts);
  auto k = torch::pow(decay, (t.unsqueeze(1) - t.unsqueeze(0)).abs()).tril();  // decay^(t - j) for j <= t
  auto row_sums = (1 - torch::pow(decay, t + 1)) / (1 - decay);               // [T]
  return k / row_sums.unsqueeze(1);
}

torch::Tensor standardise(const torch::Tensor& features) {
  auto [std, mean] = torch::std_mean(features, /*dim=*/{0}, /*unbiased=*/false, /*keepdim=*/true);
  return (features - mean) / std;
}

torch::Tensor mse(const torch::Tensor& pred, const torch::Tensor& target) {
  return torch::nn::functional::mse_loss(pred, target.unsqueeze(1));  // [N, 1] against [N, 1]
}

torch::Tensor make_features(const torch::Tensor& x, double decay) {
  const int64_t T = x.size(2);
  auto last_row = smoothing_kernel(T, decay).select(/*dim=*/0, T - 1).to(x.scalar_type());  // [T]
  return standardise(torch::einsum("j,ncj->nc", {last_row, x}));
}

FitResult fit(const torch::Tensor& x, const torch::Tensor& y, double decay, int64_t steps, double lr) {
  auto features = make_features(x, decay);
  auto weight = torch::zeros({features.size(1), 1}, features.options()).requires_grad_(true);
  auto bias = torch::zeros({1}, features.options()).requires_grad_(true);
  torch::optim::SGD optimizer({weight, bias}, torch::optim::SGDOptions(lr));
  FitResult result;
  for (int64_t step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    auto loss = mse(torch::addmm(bias, features, weight), y);
    result.losses.push_back(loss.item<double>());
    loss.backward();
    optimizer.step();
  }
  result.weight = weight.detach().clone();
  result.bias = bias.detach().clone();
  return result;
}

}  // namespace kata

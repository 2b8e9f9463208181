#include "nan_loop.h"

namespace kata {
namespace {

// Per-column z-score with the population std; the epsilon keeps a constant column at 0 instead of 0/0.
torch::Tensor standardise(const torch::Tensor& x) {
  auto mean = x.mean(/*dim=*/0, /*keepdim=*/true);                    // (1, F)
  auto std = x.std(/*dim=*/0, /*unbiased=*/false, /*keepdim=*/true);  // (1, F)
  return (x - mean) / (std + 1e-5);                                   // (N, F)
}

}  // namespace

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels, int64_t num_classes,
                                     int64_t steps, double lr) {
  auto x = standardise(features);                                                          // (N, F)
  auto weight = torch::zeros({x.size(1), num_classes}, x.options()).requires_grad_(true);  // (F, C)
  auto bias = torch::zeros({num_classes}, x.options()).requires_grad_(true);               // (C)

  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    auto logits = torch::addmm(bias, x, weight);  // (N, C)
    // cross_entropy works on log_softmax, which subtracts each row's max: no exp overflow, no log(0).
    auto loss = torch::nn::functional::cross_entropy(logits, labels);
    losses.push_back(loss.item<double>());

    weight.mutable_grad() = torch::Tensor();  // this step's gradient only, not the sum of all steps so far
    bias.mutable_grad() = torch::Tensor();
    loss.backward();
    torch::nn::utils::clip_grad_norm_({weight, bias}, /*max_norm=*/1.0);  // before the update uses the gradient
    {
      torch::NoGradGuard no_grad;
      weight -= lr * weight.grad();
      bias -= lr * bias.grad();
    }
  }
  return losses;
}

}  // namespace kata

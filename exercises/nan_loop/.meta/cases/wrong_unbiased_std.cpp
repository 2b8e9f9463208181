// expect: wrong_answer NanLoop.OrdinaryData
// mistake: unbiased std instead of the population std
// why: the sample (unbiased) std scales the features differently from the contract's population std
#include "nan_loop.h"

namespace kata {
namespace {

torch::Tensor standardise(const torch::Tensor& x) {
  auto mean = x.mean(/*dim=*/0, /*keepdim=*/true);
  auto std = x.std(/*dim=*/0, /*unbiased=*/true, /*keepdim=*/true);
  return (x - mean) / (std + 1e-5);
}

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return -torch::log_softmax(logits, /*dim=*/1).gather(/*dim=*/1, labels.unsqueeze(1)).mean();
}

}  // namespace

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  auto x = standardise(features);
  auto weight = torch::zeros({x.size(1), num_classes}, x.options()).requires_grad_(true);
  auto bias = torch::zeros({num_classes}, x.options()).requires_grad_(true);

  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    auto loss = cross_entropy(torch::matmul(x, weight) + bias, labels);
    losses.push_back(loss.item<double>());
    if (weight.grad().defined()) {
      weight.grad().zero_();
      bias.grad().zero_();
    }
    loss.backward();
    torch::nn::utils::clip_grad_norm_({weight, bias}, /*max_norm=*/1.0);
    {
      torch::NoGradGuard no_grad;
      weight -= lr * weight.grad();
      bias -= lr * bias.grad();
    }
  }
  return losses;
}

}  // namespace kata

// expect: wrong_answer NanLoop.LargeLogits
// mistake: log of a stable softmax
// why: torch::softmax no longer overflows, but a misclassified point whose probability underflows to 0 gives log(0) = -inf
#include "nan_loop.h"

#include <cmath>

namespace kata {
namespace {

torch::Tensor standardise(const torch::Tensor& x) {
  auto mean = x.mean(/*dim=*/0, /*keepdim=*/true);
  auto std = x.std(/*dim=*/0, /*unbiased=*/false, /*keepdim=*/true);
  return (x - mean) / (std + 1e-5);
}

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  auto log_probs = torch::log(torch::softmax(logits, /*dim=*/1));
  return -log_probs.gather(/*dim=*/1, labels.unsqueeze(1)).mean();
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
    {
      torch::NoGradGuard no_grad;
      double norm = std::sqrt(weight.grad().pow(2).sum().item<double>() + bias.grad().pow(2).sum().item<double>());
      if (norm > 1.0) {
        weight.grad().mul_(1.0 / (norm + 1e-6));
        bias.grad().mul_(1.0 / (norm + 1e-6));
      }
    }
    {
      torch::NoGradGuard no_grad;
      weight -= lr * weight.grad();
      bias -= lr * bias.grad();
    }
  }
  return losses;
}

}  // namespace kata

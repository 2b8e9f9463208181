// expect: accepted
// why: clipping by hand as 1 / norm, without clip_grad_norm_'s + 1e-6 (immaterial: within the tolerance); the
// population std written as std(0, false)
#include "nan_loop.h"

#include <cmath>

namespace kata {

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  auto x = (features - features.mean(0, true)) / (features.std(0, false, true) + 1e-5);
  auto weight = torch::zeros({x.size(1), num_classes}, x.options()).requires_grad_(true);
  auto bias = torch::zeros({num_classes}, x.options()).requires_grad_(true);
  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    auto loss = torch::nn::functional::cross_entropy(x.mm(weight) + bias, labels);
    losses.push_back(loss.item<double>());
    weight.mutable_grad().reset();
    bias.mutable_grad().reset();
    loss.backward();
    torch::NoGradGuard g;
    double norm = std::sqrt(weight.grad().pow(2).sum().item<double>() + bias.grad().pow(2).sum().item<double>());
    double coef = norm > 1.0 ? 1.0 / norm : 1.0;
    weight -= lr * coef * weight.grad();
    bias -= lr * coef * bias.grad();
  }
  return losses;
}

}  // namespace kata

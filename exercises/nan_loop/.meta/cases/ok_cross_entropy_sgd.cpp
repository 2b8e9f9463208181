// expect: accepted
// why: functional cross_entropy and torch::optim::SGD (plain gradient descent) with its zero_grad
#include "nan_loop.h"

namespace kata {

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  auto mean = features.mean(0, true);
  auto std = (features - mean).pow(2).mean(0, true).sqrt();  // population std, written out
  auto x = (features - mean) / (std + 1e-5);
  auto weight = torch::zeros({x.size(1), num_classes}, x.options()).requires_grad_(true);
  auto bias = torch::zeros({num_classes}, x.options()).requires_grad_(true);
  torch::optim::SGD sgd({weight, bias}, torch::optim::SGDOptions(lr));

  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    sgd.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(x.matmul(weight) + bias, labels);
    losses.push_back(loss.item<double>());
    loss.backward();
    torch::nn::utils::clip_grad_norm_(sgd.parameters(), 1.0);
    sgd.step();
  }
  return losses;
}

}  // namespace kata

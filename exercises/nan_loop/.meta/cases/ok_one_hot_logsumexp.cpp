// expect: accepted
// why: the log-sum-exp trick by hand (each row's max subtracted, added back after the log), the loss as a one-hot
// weighted sum, gradients reset to undefined tensors, and the update through .data()
#include "nan_loop.h"

namespace kata {
namespace {

torch::Tensor log_softmax_rows(const torch::Tensor& z) {
  auto m = std::get<0>(z.max(/*dim=*/1, /*keepdim=*/true)).detach();
  return z - (m + torch::exp(z - m).sum(/*dim=*/1, /*keepdim=*/true).log());
}

}  // namespace

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  auto std = features.std(/*dim=*/0, /*unbiased=*/false);
  auto x = (features - features.mean(/*dim=*/0)) / (std + 1e-5);
  auto weight = torch::zeros({x.size(1), num_classes}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto bias = torch::zeros({num_classes}, torch::dtype(torch::kFloat64).requires_grad(true));
  auto target = torch::one_hot(labels, num_classes).to(torch::kFloat64);

  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    auto loss = -(target * log_softmax_rows(x.matmul(weight) + bias)).sum(/*dim=*/1).mean();
    losses.push_back(loss.item<double>());
    weight.mutable_grad().reset();
    bias.mutable_grad().reset();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(std::vector<torch::Tensor>{weight, bias}, 1.0);
    weight.data().sub_(lr * weight.grad());
    bias.data().sub_(lr * bias.grad());
  }
  return losses;
}

}  // namespace kata

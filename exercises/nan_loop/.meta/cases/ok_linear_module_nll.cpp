// expect: accepted
// why: a torch::nn::Linear (weight stored [C, F]) zeroed by hand, log_softmax + nll_loss, torch::optim::SGD, and
// the population std as var(unbiased=false).sqrt()
#include "nan_loop.h"

namespace kata {

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  auto centred = features - features.mean(/*dim=*/0);
  auto x = centred / (centred.var(/*dim=*/0, /*unbiased=*/false).sqrt() + 1e-5);

  torch::nn::Linear linear(x.size(1), num_classes);
  linear->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    linear->weight.zero_();
    linear->bias.zero_();
  }
  torch::optim::SGD sgd(linear->parameters(), torch::optim::SGDOptions(lr));

  std::vector<double> losses;
  losses.reserve(steps);
  for (int64_t step = 0; step < steps; ++step) {
    sgd.zero_grad();
    auto loss = torch::nll_loss(torch::log_softmax(linear(x), /*dim=*/1), labels);
    losses.push_back(loss.item<double>());
    loss.backward();
    torch::nn::utils::clip_grad_norm_(linear->parameters(), /*max_norm=*/1.0);
    sgd.step();
  }
  return losses;
}

}  // namespace kata

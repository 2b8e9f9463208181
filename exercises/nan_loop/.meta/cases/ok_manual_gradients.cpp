// expect: accepted
// why: no autograd at all: the gradient of the mean cross-entropy written out (softmax - one_hot), a hand-made
// stable log-softmax (each row's max subtracted) and clip_grad_norm_'s rule applied by hand
#include "nan_loop.h"

#include <algorithm>
#include <cmath>

namespace kata {

std::vector<double> train_classifier(const torch::Tensor& features, const torch::Tensor& labels,
                                     int64_t num_classes, int64_t steps, double lr) {
  const auto n = static_cast<double>(features.size(0));
  auto mean = features.mean(/*dim=*/0, /*keepdim=*/true);
  auto x = (features - mean) / (features.std(/*dim=*/0, /*unbiased=*/false, /*keepdim=*/true) + 1e-5);
  auto one_hot = torch::one_hot(labels, num_classes).to(x.scalar_type());
  auto weight = torch::zeros({x.size(1), num_classes}, x.options());
  auto bias = torch::zeros({num_classes}, x.options());

  std::vector<double> losses;
  for (int64_t step = 0; step < steps; ++step) {
    auto logits = x.mm(weight) + bias;
    auto shifted = logits - std::get<0>(logits.max(/*dim=*/1, /*keepdim=*/true));
    auto log_probs = shifted - shifted.exp().sum(/*dim=*/1, /*keepdim=*/true).log();
    losses.push_back(-(one_hot * log_probs).sum().item<double>() / n);

    auto dlogits = (log_probs.exp() - one_hot) / n;  // d loss / d logits
    auto grad_w = x.t().mm(dlogits);
    auto grad_b = dlogits.sum(/*dim=*/0);
    double norm = std::sqrt(grad_w.pow(2).sum().item<double>() + grad_b.pow(2).sum().item<double>());
    double coef = std::min(1.0, 1.0 / (norm + 1e-6));
    weight = weight - lr * coef * grad_w;
    bias = bias - lr * coef * grad_b;
  }
  return losses;
}

}  // namespace kata

// expect: accepted
// why: AdamW written out by hand (moments, bias correction, decoupled decay) with manual clipping is the same algorithm
#include "train_loop.h"

#include <cmath>

namespace kata {

TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg) {
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  auto params = model->parameters();
  std::vector<torch::Tensor> m, v;
  for (const auto& p : params) {
    m.push_back(torch::zeros_like(p));
    v.push_back(torch::zeros_like(p));
  }
  TrainLog log;
  const int64_t n = x.size(0);
  for (int64_t s = 0; s < cfg.steps; ++s) {
    double lr = s < cfg.warmup_steps
                    ? cfg.lr * (s + 1) / cfg.warmup_steps
                    : cfg.lr * 0.5 * (1 + std::cos(M_PI * (s - cfg.warmup_steps) / (cfg.steps - cfg.warmup_steps)));
    int64_t start = (s * cfg.batch_size) % n;
    auto pred = model->forward(x.narrow(0, start, cfg.batch_size));
    auto loss = (pred - y.narrow(0, start, cfg.batch_size)).pow(2).mean();
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    loss.backward();

    double total = 0;
    for (const auto& p : params) total += p.grad().pow(2).sum().item<double>();
    double norm = std::sqrt(total);
    double coef = cfg.max_grad_norm / (norm + 1e-6);

    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      auto g = coef < 1 ? params[i].grad() * coef : params[i].grad();
      params[i].mul_(1 - lr * cfg.weight_decay);
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      double c1 = 1 - std::pow(beta1, s + 1), c2 = 1 - std::pow(beta2, s + 1);
      params[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
    }
    log.loss.push_back(loss.item<double>());
    log.grad_norm.push_back(norm);
    log.lr.push_back(lr);
  }
  return log;
}

}  // namespace kata

// expect: accepted
// why: clips by hand with torch's rule (scale by max_norm / (norm + 1e-6) when that is below 1), computes the loss as (pred - y)^2 averaged and the schedule with std::cos
#include "train_loop.h"

#include <cmath>

namespace kata {

TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg) {
  auto params = model->parameters();
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(cfg.lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(cfg.weight_decay));
  TrainLog log;
  for (int64_t s = 0; s < cfg.steps; ++s) {
    double lr;
    if (s < cfg.warmup_steps) {
      lr = cfg.lr * (s + 1) / cfg.warmup_steps;
    } else {
      lr = cfg.lr * 0.5 * (1 + std::cos(M_PI * (s - cfg.warmup_steps) / (cfg.steps - cfg.warmup_steps)));
    }
    for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    int64_t start = (s * cfg.batch_size) % x.size(0);
    auto xb = x.narrow(0, start, cfg.batch_size);
    auto yb = y.narrow(0, start, cfg.batch_size);
    opt.zero_grad();
    auto loss = (model->forward(xb) - yb).pow(2).mean();
    loss.backward();

    double sq = 0;
    for (auto& p : params) sq += p.grad().pow(2).sum().item<double>();
    double norm = std::sqrt(sq);
    double coef = cfg.max_grad_norm / (norm + 1e-6);
    if (coef < 1) {
      torch::NoGradGuard no_grad;
      for (auto& p : params) p.grad().mul_(coef);
    }
    opt.step();

    log.loss.push_back(loss.item<double>());
    log.grad_norm.push_back(norm);
    log.lr.push_back(lr);
  }
  return log;
}

}  // namespace kata

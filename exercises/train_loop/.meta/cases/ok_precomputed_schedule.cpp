// expect: accepted
// why: precomputes the whole schedule, gathers the batch rows with index_select and updates the lr through the optimizer's defaults-style options of its single group
#include "train_loop.h"

#include <cmath>

namespace kata {

namespace {

std::vector<double> schedule(const TrainConfig& cfg) {
  std::vector<double> lrs;
  const double pi = std::acos(-1.0);
  for (int64_t s = 0; s < cfg.steps; ++s) {
    if (s < cfg.warmup_steps) {
      lrs.push_back(cfg.lr * double(s + 1) / double(cfg.warmup_steps));
    } else {
      double t = double(s - cfg.warmup_steps) / double(cfg.steps - cfg.warmup_steps);
      lrs.push_back(0.5 * cfg.lr * (1.0 + std::cos(pi * t)));
    }
  }
  return lrs;
}

}  // namespace

TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg) {
  auto lrs = schedule(cfg);
  torch::optim::AdamWOptions options(lrs.empty() ? cfg.lr : lrs[0]);
  options.betas(std::make_tuple(0.9, 0.999));
  options.eps(1e-8);
  options.weight_decay(cfg.weight_decay);
  torch::optim::AdamW optimizer(model->parameters(), options);

  const int64_t n = x.size(0);
  TrainLog log;
  log.lr = lrs;
  for (int64_t s = 0; s < cfg.steps; ++s) {
    auto& group_options = static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups().at(0).options());
    group_options.lr(lrs[s]);
    auto rows = torch::arange(cfg.batch_size, torch::kLong) + (s * cfg.batch_size) % n;
    auto pred = model->forward(x.index_select(0, rows));
    auto loss = torch::nn::functional::mse_loss(pred, y.index_select(0, rows),
                                                torch::nn::functional::MSELossFuncOptions().reduction(torch::kMean));
    optimizer.zero_grad();
    loss.backward();
    log.grad_norm.push_back(torch::nn::utils::clip_grad_norm_(model->parameters(), cfg.max_grad_norm));
    log.loss.push_back(loss.item<double>());
    optimizer.step();
  }
  return log;
}

}  // namespace kata

// expect: accepted
// why: zeroes the gradients after each update instead of before the backward pass, indexes batches with the torch::indexing API and takes the norm from clip_grad_norm_ over a vector it built itself
#include "train_loop.h"

#include <cmath>

using torch::indexing::Slice;

namespace kata {

static double lr_for_step(int64_t step, const TrainConfig& c) {
  if (step < c.warmup_steps) return c.lr * (step + 1.0) / c.warmup_steps;
  const double decay_steps = c.steps - c.warmup_steps;
  return c.lr * (std::cos(M_PI * (step - c.warmup_steps) / decay_steps) + 1.0) / 2.0;
}

TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg) {
  std::vector<torch::Tensor> params;
  for (auto& named : model->named_parameters()) params.push_back(named.value());
  torch::optim::AdamW adamw(params, torch::optim::AdamWOptions(cfg.lr).weight_decay(cfg.weight_decay));

  TrainLog log;
  int64_t start = 0;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    double lr = lr_for_step(step, cfg);
    static_cast<torch::optim::AdamWOptions&>(adamw.param_groups()[0].options()).lr(lr);
    auto out = model->forward(x.index({Slice(start, start + cfg.batch_size)}));
    auto loss = torch::mse_loss(out, y.index({Slice(start, start + cfg.batch_size)}));
    log.loss.push_back(loss.item<double>());
    loss.backward();
    log.grad_norm.push_back(torch::nn::utils::clip_grad_norm_(params, cfg.max_grad_norm));
    adamw.step();
    adamw.zero_grad();
    log.lr.push_back(lr);
    start = (start + cfg.batch_size) % x.size(0);
  }
  return log;
}

}  // namespace kata

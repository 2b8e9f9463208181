// expect: wrong_answer TrainLoop.BatchOrder
// mistake: batches without wraparound
// why: takes rows [s * batch_size, (s + 1) * batch_size) without % N: past the end of the data the batch is empty and the loss NaN
#include "train_loop.h"

#include <cmath>

namespace kata {
namespace {

// Linear warmup to the peak over warmup_steps, then half a cosine from the peak down to 0 at `steps`.
double learning_rate(int64_t step, const TrainConfig& cfg) {
  if (step < cfg.warmup_steps) return cfg.lr * static_cast<double>(step + 1) / static_cast<double>(cfg.warmup_steps);
  double progress = static_cast<double>(step - cfg.warmup_steps) / static_cast<double>(cfg.steps - cfg.warmup_steps);
  return cfg.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace

TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg) {
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(cfg.lr)
                                                         .betas({0.9, 0.999})
                                                         .eps(1e-8)
                                                         .weight_decay(cfg.weight_decay));
  const int64_t n = x.size(0);
  TrainLog log;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    const double lr = learning_rate(step, cfg);
    static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).lr(lr);

    const int64_t start = step * cfg.batch_size;
    auto xb = x.slice(/*dim=*/0, start, start + cfg.batch_size);  // (B, in)
    auto yb = y.slice(/*dim=*/0, start, start + cfg.batch_size);  // (B, out)

    optimizer.zero_grad();
    auto loss = torch::nn::functional::mse_loss(model->forward(xb), yb);
    loss.backward();
    // Clip before the update: the returned norm is the one measured before clipping.
    const double grad_norm = torch::nn::utils::clip_grad_norm_(model->parameters(), cfg.max_grad_norm);
    optimizer.step();

    log.loss.push_back(loss.item<double>());
    log.grad_norm.push_back(grad_norm);
    log.lr.push_back(lr);
  }
  return log;
}

}  // namespace kata

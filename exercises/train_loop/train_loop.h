// Contract for the train_loop exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_TRAIN_LOOP_H
#define KATA_TRAIN_LOOP_H

#include <torch/torch.h>

#include <vector>

namespace kata {
struct TrainConfig {
  int64_t steps = 200;
  int64_t batch_size = 32;
  double lr = 3e-3;  // peak learning rate
  int64_t warmup_steps = 20;
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;
};
struct TrainLog {
  std::vector<double> loss;       // per step: the batch loss before that step's update
  std::vector<double> grad_norm;  // per step: total L2 norm of all gradients, before clipping
  std::vector<double> lr;         // per step: the learning rate that step's update used
};
// Trains `model` on regression data x: [N, in], y: [N, out] with mean-squared-error loss and
// torch::optim::AdamW(lr, betas (0.9, 0.999), eps 1e-8, weight_decay).
// Step s (0-based) uses rows [(s * batch_size) % N, (s * batch_size) % N + batch_size);
// N is a multiple of batch_size.
// Learning rate at step s: lr * (s + 1) / warmup_steps while s < warmup_steps, then
//   lr * 0.5 * (1 + cos(pi * (s - warmup_steps) / (steps - warmup_steps))).
// The total gradient norm is clipped to max_grad_norm (as torch::nn::utils::clip_grad_norm_ does)
// before every update.
TrainLog train(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& cfg);
}  // namespace kata

#endif

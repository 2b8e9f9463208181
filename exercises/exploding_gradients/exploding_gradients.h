// Contract for the exploding_gradients exercise. Do not edit: the hidden tests are built against it.
// A deep pre-LN residual MLP for regression, trained with plain SGD, a warmup + cosine schedule and
// gradient-norm clipping. The colleague's program (the stub), once fixed, must meet this exactly.
#ifndef KATA_EXPLODING_GRADIENTS_H
#define KATA_EXPLODING_GRADIENTS_H

#include <torch/torch.h>

#include <vector>

namespace kata {

struct Config {
  int64_t in_features = 4;
  int64_t width = 32;
  int64_t depth = 8;  // residual blocks, >= 1
  int64_t out_features = 1;
  int64_t steps = 100;
  int64_t warmup_steps = 10;  // 1 <= warmup_steps < steps
  double lr = 0.055;          // peak learning rate
  double max_grad_norm = 1.0;
};

// Linear layers as [out, in] weights and [out] biases (torch::nn::functional::linear's layout).
struct Params {
  torch::Tensor w_in, b_in;                   // [width, in_features], [width]
  std::vector<torch::Tensor> w1, b1, w2, b2;  // depth of each: [width, width], [width], [width, width], [width]
  torch::Tensor w_out, b_out;                 // [out_features, width], [out_features]
};

// The parameters before training, float64, drawn from ONE generator,
//   auto gen = at::detail::createCPUGenerator(seed);
// in this order, each weight of shape [fan_out, fan_in] as
//   torch::randn({fan_out, fan_in}, gen, float64) / std::sqrt(fan_in)      (N(0, 1/fan_in), "LeCun normal")
//   w_in; then for block l = 0 .. depth-1: w1[l], w2[l]; then w_out.
// Every bias is zero (nothing drawn for biases).
Params init_parameters(const Config& cfg, int64_t seed);

// x: [N, in_features] -> [N, out_features], in the dtype of x and the parameters (float32 or float64):
//   h = linear(x, w_in, b_in)
//   for l in 0 .. depth-1:                               (depth = params.w1.size())
//     h = h + (relu(linear(LN(h), w1[l], b1[l])) @ w2[l]^T + b2[l]) / sqrt(depth)
//   out = linear(LN(h), w_out, b_out)
// LN is layer_norm over the last dimension without affine parameters, eps 1e-5 (torch::layer_norm(h,
// {width})). The 1/sqrt(depth) multiplier on every residual branch (not on the skip path) keeps the
// residual stream's variance O(1) however deep the network is (the depth-muP branch multiplier).
// Differentiable with respect to x and every parameter; the inputs may be non-contiguous views.
torch::Tensor forward(const Params& params, const torch::Tensor& x);

// Learning rate of step s (0-based): linear warmup to the peak, then half a cosine down to 0:
//   s < warmup_steps:  lr * (s + 1) / warmup_steps
//   otherwise:         lr * 0.5 * (1 + cos(pi * (s - warmup_steps) / (steps - warmup_steps)))
double learning_rate(int64_t step, const Config& cfg);

struct StepResult {
  double loss;       // mean squared error of forward(params, x) against y, before the update
  double grad_norm;  // total L2 norm of the gradients of all parameters, before clipping
  Params params;     // the parameters after the update
};
// One step of plain SGD (no momentum, no weight decay) from `params` on the full batch (x, y):
//   loss = mean((forward(params, x) - y)^2); gradients of every parameter;
//   clip them to total norm max_grad_norm exactly as torch::nn::utils::clip_grad_norm_ does (multiply
//   every gradient by max_grad_norm / (norm + 1e-6) when that factor is < 1), BEFORE the update;
//   p_new = p - lr * clipped gradient, for every parameter.
// Everything in the dtype of x and the parameters. Leaves params, x and y unchanged.
StepResult train_step(const Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                      double max_grad_norm);

struct TrainLog {
  std::vector<double> loss, grad_norm, lr;  // per step: StepResult's loss and grad_norm, learning_rate(s)
  Params params;                            // after the last step
};
// init_parameters(cfg, seed) converted to the dtype of x, then for s = 0 .. steps-1:
//   train_step(params, x, y, learning_rate(s, cfg), cfg.max_grad_norm), logged, its parameters kept.
// x: [N, in_features], y: [N, out_features], float32 or float64 (the same), left unchanged.
TrainLog train(const Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed);

}  // namespace kata

#endif

// The exploding_gradients contract across the trust boundary (see harness/host/binding.h).
#include "exploding_gradients.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::Config, c.in_features, c.width, c.depth, c.out_features, c.steps, c.warmup_steps, c.lr,
                 c.max_grad_norm);
KATA_BIND_STRUCT(kata::Params, c.w_in, c.b_in, c.w1, c.b1, c.w2, c.b2, c.w_out, c.b_out);
KATA_BIND_STRUCT(kata::StepResult, c.loss, c.grad_norm, c.params);
KATA_BIND_STRUCT(kata::TrainLog, c.loss, c.grad_norm, c.lr, c.params);

KATA_BIND_FUNCTION(kata::Params, init_parameters, (const kata::Config& cfg, int64_t seed), (cfg, seed))
KATA_BIND_FUNCTION(torch::Tensor, forward, (const kata::Params& params, const torch::Tensor& x), (params, x))
KATA_BIND_FUNCTION(double, learning_rate, (int64_t step, const kata::Config& cfg), (step, cfg))
KATA_BIND_FUNCTION(kata::StepResult, train_step,
                   (const kata::Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                    double max_grad_norm),
                   (params, x, y, lr, max_grad_norm))
KATA_BIND_FUNCTION(kata::TrainLog, train,
                   (const kata::Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed),
                   (cfg, x, y, seed))

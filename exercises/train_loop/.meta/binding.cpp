// The train_loop contract across the trust boundary (see harness/host/binding.h).
#include "train_loop.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::TrainConfig, c.steps, c.batch_size, c.lr, c.warmup_steps, c.weight_decay, c.max_grad_norm);
KATA_BIND_STRUCT(kata::TrainLog, c.loss, c.grad_norm, c.lr);

KATA_BIND_FUNCTION(kata::TrainLog, train,
                   (torch::nn::Sequential & model, const torch::Tensor& x, const torch::Tensor& y,
                    const kata::TrainConfig& cfg),
                   (model, x, y, cfg))

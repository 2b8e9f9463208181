// The adamw contract across the trust boundary (see harness/host/binding.h). AdamW is a plain class, not a
// module: the drivers of driver.h construct the learner's AdamW in the worker, give it gradients step by step
// (or train a small model with it there, autograd included), and send back what its caller sees.
#include "adamw.h"

#include "binding.h"
#include "driver.h"

KATA_BIND_STRUCT(kata::AdamWOptions, c.lr, c.beta1, c.beta2, c.eps, c.weight_decay);
KATA_BIND_STRUCT(kata::AdamWTrace, c.params, c.grads, c.after_zero_grad, c.loss);

#ifdef KATA_WORKER_SIDE
namespace kata {

AdamWTrace run_adamw(std::vector<torch::Tensor> params, std::vector<std::vector<torch::Tensor>> grads,
                     const AdamWOptions& options) {
  auto leaves = fresh_leaves(params);
  AdamW optimizer(leaves, options);
  return replay_steps(optimizer, leaves, grads);
}

AdamWTrace train_adamw(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                       const AdamWOptions& options, int64_t steps) {
  AdamW optimizer(model->parameters(), options);
  return train_steps(optimizer, model, x, y, steps);
}

}  // namespace kata
#endif

KATA_BIND_FUNCTION(kata::AdamWTrace, run_adamw,
                   (std::vector<torch::Tensor> params, std::vector<std::vector<torch::Tensor>> grads,
                    const kata::AdamWOptions& options),
                   (params, grads, options))
KATA_BIND_FUNCTION(kata::AdamWTrace, train_adamw,
                   (torch::nn::Sequential & model, const torch::Tensor& x, const torch::Tensor& y,
                    const kata::AdamWOptions& options, int64_t steps),
                   (model, x, y, options, steps))

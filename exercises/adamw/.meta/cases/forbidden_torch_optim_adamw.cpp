// expect: forbidden_call
// why: wraps torch::optim::AdamW, the optimiser the exercise asks you to write
#include "adamw.h"

namespace kata {

struct AdamW::State {
  std::unique_ptr<torch::optim::AdamW> inner;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  state_->inner = std::make_unique<torch::optim::AdamW>(
      params_, torch::optim::AdamWOptions(options.lr)
                   .betas({options.beta1, options.beta2})
                   .eps(options.eps)
                   .weight_decay(options.weight_decay));
}

void AdamW::step() { state_->inner->step(); }
void AdamW::zero_grad() { state_->inner->zero_grad(); }

}  // namespace kata

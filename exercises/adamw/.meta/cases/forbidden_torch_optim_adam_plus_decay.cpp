// expect: forbidden_call
// why: torch::optim::Adam without weight decay, plus the decoupled decay by hand before each step: the same numbers as AdamW, but the Adam part (moments, bias correction, update) is LibTorch's, and all of torch::optim is off limits
#include "adamw.h"

namespace kata {

struct AdamW::State {
  std::unique_ptr<torch::optim::Adam> adam;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  state_->adam = std::make_unique<torch::optim::Adam>(
      params_, torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2}).eps(options.eps));
}

void AdamW::step() {
  {
    torch::NoGradGuard no_grad;
    for (auto& p : params_)
      if (p.grad().defined()) p.mul_(1 - options_.lr * options_.weight_decay);
  }
  state_->adam->step();
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

}  // namespace kata

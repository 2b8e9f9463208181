// expect: forbidden_call
// why: at::_fused_adam_ is LibTorch's fused Adam step (moments, bias correction, update) for a list of tensors; with weight_decay 0 and the decay done by hand it would be AdamW
#include "adamw.h"

namespace kata {

struct AdamW::State {
  std::vector<torch::Tensor> m, v, steps;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  for (const auto& p : params_) {
    state_->m.push_back(torch::zeros_like(p));
    state_->v.push_back(torch::zeros_like(p));
    state_->steps.push_back(torch::zeros({}, p.options()));
  }
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> ps, gs, ms, vs, ts;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    params_[i].mul_(1 - options_.lr * options_.weight_decay);
    ps.push_back(params_[i]);
    gs.push_back(params_[i].grad());
    ms.push_back(state_->m[i]);
    vs.push_back(state_->v[i]);
    ts.push_back(state_->steps[i].add_(1));
  }
  at::_fused_adam_(ps, gs, ms, vs, {}, ts, options_.lr, options_.beta1, options_.beta2, /*weight_decay=*/0.0,
                   options_.eps, /*amsgrad=*/false, /*maximize=*/false);
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

}  // namespace kata

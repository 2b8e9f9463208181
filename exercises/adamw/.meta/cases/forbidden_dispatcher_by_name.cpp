// expect: forbidden_call
// why: looks aten::_fused_adam_ up by name in the dispatcher and calls it: no _fused_adam symbol appears in the source, but the by-name lookup is the route
#include "adamw.h"

#include <ATen/core/dispatch/Dispatcher.h>

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
  using List = at::TensorList;
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("aten::_fused_adam_", "")
                       .typed<void(List, List, List, List, List, List, double, double, double, double, double, bool,
                                   bool, const c10::optional<at::Tensor>&, const c10::optional<at::Tensor>&)>();
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
  op.call(ps, gs, ms, vs, {}, ts, options_.lr, options_.beta1, options_.beta2, 0.0, options_.eps, false, false,
          c10::nullopt, c10::nullopt);
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

}  // namespace kata

// expect: accepted
// why: the multi-tensor ("foreach") form: the parameters that have a gradient this step are gathered into lists and every op runs over all of them at once, with per-parameter bias corrections passed as scalar lists
#include "adamw.h"

#include <cmath>

namespace kata {

struct AdamW::State {
  std::vector<torch::Tensor> exp_avg, exp_avg_sq;
  std::vector<int64_t> steps;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  for (const auto& p : params_) {
    state_->exp_avg.push_back(torch::zeros_like(p));
    state_->exp_avg_sq.push_back(torch::zeros_like(p));
    state_->steps.push_back(0);
  }
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  const auto& o = options_;
  std::vector<torch::Tensor> ps, gs, ms, vs;
  std::vector<c10::Scalar> neg_step_sizes, sqrt_bc2;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    const int64_t t = ++state_->steps[i];
    ps.push_back(params_[i]);
    gs.push_back(params_[i].grad());
    ms.push_back(state_->exp_avg[i]);
    vs.push_back(state_->exp_avg_sq[i]);
    neg_step_sizes.emplace_back(-o.lr / (1 - std::pow(o.beta1, t)));
    sqrt_bc2.emplace_back(std::sqrt(1 - std::pow(o.beta2, t)));
  }
  if (ps.empty()) return;
  torch::_foreach_mul_(ps, 1 - o.lr * o.weight_decay);
  torch::_foreach_mul_(ms, o.beta1);
  torch::_foreach_add_(ms, gs, 1 - o.beta1);
  torch::_foreach_mul_(vs, o.beta2);
  torch::_foreach_addcmul_(vs, gs, gs, 1 - o.beta2);
  auto denom = torch::_foreach_sqrt(vs);
  torch::_foreach_div_(denom, sqrt_bc2);
  torch::_foreach_add_(denom, o.eps);
  torch::_foreach_addcdiv_(ps, ms, denom, neg_step_sizes);
}

void AdamW::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

}  // namespace kata

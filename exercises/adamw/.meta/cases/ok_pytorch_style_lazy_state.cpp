// expect: accepted
// why: torch::optim::AdamW's own formulation: state created lazily on a parameter's first gradient (keyed by its TensorImpl), in-place moments, denom = sqrt(v) / sqrt(1 - beta2^t) + eps, one addcdiv_, and zero_grad() zeroing defined grads in place
#include "adamw.h"

#include <cmath>
#include <unordered_map>

namespace kata {

struct AdamW::State {
  struct PerParam {
    int64_t step = 0;
    torch::Tensor exp_avg, exp_avg_sq;
  };
  std::unordered_map<const c10::TensorImpl*, PerParam> per_param;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  for (auto& p : params_) {
    if (!p.grad().defined()) continue;
    const auto& grad = p.grad();
    p.mul_(1 - options_.lr * options_.weight_decay);
    auto it = state_->per_param.find(p.unsafeGetTensorImpl());
    if (it == state_->per_param.end()) {
      State::PerParam fresh;
      fresh.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      fresh.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      it = state_->per_param.emplace(p.unsafeGetTensorImpl(), std::move(fresh)).first;
    }
    auto& s = it->second;
    s.step += 1;
    const double bias_correction1 = 1 - std::pow(options_.beta1, s.step);
    const double bias_correction2 = 1 - std::pow(options_.beta2, s.step);
    s.exp_avg.mul_(options_.beta1).add_(grad, 1 - options_.beta1);
    s.exp_avg_sq.mul_(options_.beta2).addcmul_(grad, grad, 1 - options_.beta2);
    auto denom = (s.exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(options_.eps);
    p.addcdiv_(s.exp_avg, denom, -options_.lr / bias_correction1);
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) {
      p.mutable_grad().detach_();
      p.mutable_grad().zero_();
    }
  }
}

}  // namespace kata

// expect: wrong_answer AdamW.StepsFloat64
// mistake: bias correction off by one: beta^(t + 1)
// why: the first update has t = 1, so its corrections are 1 - beta1 and 1 - beta2 (m_hat = g exactly); a counter that starts at 1 and is incremented before use gives beta^(t + 1) and too-large early updates. Start t at 0 and increment it before computing the corrections
#include "adamw.h"

#include <cmath>

namespace kata {

struct AdamW::State {
  std::vector<torch::Tensor> m, v;
  std::vector<int64_t> t;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  for (const auto& p : params_) {
    state_->m.push_back(torch::zeros_like(p));
    state_->v.push_back(torch::zeros_like(p));
    state_->t.push_back(1);
  }
}

void AdamW::step() {
  torch::NoGradGuard no_grad;
  const auto& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    auto g = p.grad();
    auto& m = state_->m[i];
    auto& v = state_->v[i];
    const int64_t t = ++state_->t[i];
    p.mul_(1 - o.lr * o.weight_decay);
    m.mul_(o.beta1).add_(g, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    const double bc1 = 1 - std::pow(o.beta1, t);
    const double bc2 = 1 - std::pow(o.beta2, t);
    auto m_hat = m / bc1;
    auto v_hat = v / bc2;
    p.sub_(o.lr * m_hat / (v_hat.sqrt() + o.eps));
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

}  // namespace kata

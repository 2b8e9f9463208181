// expect: wrong_answer AdamW.GradientsUnchanged
// mistake: p.grad() squared in place (g.mul_(g)) for the second moment
// why: g is a handle to p.grad(), so g.mul_(g) overwrites the caller's gradient with its square (anything reading the gradients after step() sees g^2). The parameters still come out right here; use v.addcmul_(g, g, 1 - beta2) or g * g
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
    state_->t.push_back(0);
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
    v.mul_(o.beta2).add_(g.mul_(g), 1 - o.beta2);
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

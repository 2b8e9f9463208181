#include "adamw.h"

#include <cmath>

namespace kata {

// Per parameter: the two moment estimates and that parameter's own step count.
struct AdamW::State {
  std::vector<torch::Tensor> m, v;  // each like its parameter: same shape, dtype and strides
  std::vector<int64_t> t;           // updates this parameter has had
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
  torch::NoGradGuard no_grad;  // an optimiser step is not part of any graph
  const auto& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;  // no gradient: no decay, no moments, t unchanged
    const auto& g = p.grad();           // like p
    auto& m = state_->m[i];
    auto& v = state_->v[i];
    const int64_t t = ++state_->t[i];

    p.mul_(1.0 - o.lr * o.weight_decay);                      // decoupled weight decay
    m.mul_(o.beta1).add_(g, /*alpha=*/1.0 - o.beta1);         // m = b1 m + (1 - b1) g
    v.mul_(o.beta2).addcmul_(g, g, /*value=*/1.0 - o.beta2);  // v = b2 v + (1 - b2) g^2
    const double bc1 = 1.0 - std::pow(o.beta1, t);            // bias corrections
    const double bc2 = 1.0 - std::pow(o.beta2, t);
    auto denom = (v / bc2).sqrt() + o.eps;  // sqrt(v_hat) + eps, like p
    p.sub_(o.lr * (m / bc1) / denom);       // p -= lr m_hat / (sqrt(v_hat) + eps)
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();  // set_to_none: undefined until the next backward
}

}  // namespace kata

// expect: accepted
// why: no NoGradGuard: every write goes through p.data() (shares p's storage, outside autograd); the moments as lerp_ towards g and g^2, the new value computed out of place and copied in, and zero_grad() dropping the grads (set to none)
#include "adamw.h"

#include <cmath>

namespace kata {

struct AdamW::State {
  struct Slot {
    torch::Tensor m, v;
    int64_t updates = 0;
  };
  std::vector<Slot> slots;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  for (const auto& p : params_) state_->slots.push_back({torch::zeros_like(p), torch::zeros_like(p), 0});
}

void AdamW::step() {
  const auto& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    auto w = params_[i].data();
    auto g = params_[i].grad().data();
    auto& s = state_->slots[i];
    s.updates++;
    s.m.lerp_(g, 1 - o.beta1);      // m + (1 - beta1) (g - m)
    s.v.lerp_(g * g, 1 - o.beta2);  // v + (1 - beta2) (g^2 - v)
    auto m_hat = s.m / (1 - std::pow(o.beta1, static_cast<double>(s.updates)));
    auto v_hat = s.v / (1 - std::pow(o.beta2, static_cast<double>(s.updates)));
    auto next = w * (1 - o.lr * o.weight_decay) - o.lr * m_hat / (torch::sqrt(v_hat) + o.eps);
    w.copy_(next);
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

}  // namespace kata

// expect: forbidden_call
// why: compiles the update as a TorchScript function and runs it: torch::jit reaches any op by name, so it is off limits like the dispatcher
#include "adamw.h"

#include <cmath>

namespace kata {

struct AdamW::State {
  std::shared_ptr<torch::jit::CompilationUnit> unit;
  std::vector<torch::Tensor> m, v;
  std::vector<int64_t> t;
};

AdamW::AdamW(std::vector<torch::Tensor> params, AdamWOptions options)
    : params_(std::move(params)), options_(options), state_(std::make_shared<State>()) {
  state_->unit = torch::jit::compile(R"JIT(
def update(p, m, v, bc1: float, bc2: float, lr: float, eps: float):
    p.sub_(lr * (m / bc1) / ((v / bc2).sqrt() + eps))
)JIT");
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
    const auto& g = p.grad();
    const int64_t t = ++state_->t[i];
    p.mul_(1 - o.lr * o.weight_decay);
    state_->m[i].mul_(o.beta1).add_(g, 1 - o.beta1);
    state_->v[i].mul_(o.beta2).addcmul_(g, g, 1 - o.beta2);
    state_->unit->run_method("update", p, state_->m[i], state_->v[i], 1 - std::pow(o.beta1, t),
                             1 - std::pow(o.beta2, t), o.lr, o.eps);
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
}

}  // namespace kata

// Contract for the adamw exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_ADAMW_H
#define KATA_ADAMW_H

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace kata {
// The hyper-parameters, as torch::optim::AdamWOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(wd).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// AdamW written by hand, with the semantics of torch::optim::AdamW in LibTorch 1.13 (amsgrad off).
//
// AdamW(params, options): `params` are the tensors to train: leaf tensors that require grad, float32 or
// float64 (each keeps its own dtype; one optimiser may hold both), of any shape (0-dim and size-1 dims
// included), contiguous or not (e.g. a transposed matrix; never overlapping memory). The caller keeps
// its own handles to the same tensors and reads the new values from them after every step.
//
// step(): for every parameter p whose p.grad() is defined, with g = p.grad() and that parameter's own step
// count t (0 before its first update):
//   t  = t + 1
//   p  = p * (1 - lr * weight_decay)                  decoupled weight decay, before the Adam update
//   m  = beta1 * m + (1 - beta1) * g                  m and v start at zeros, same shape/dtype as p
//   v  = beta2 * v + (1 - beta2) * g * g
//   p  = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)     eps outside the sqrt
// A parameter whose grad is undefined (no gradient reached it this step) is skipped entirely: no decay, no
// change to m or v, and its t does not advance (t counts that parameter's own updates, not calls to step()).
// Everything is in p's dtype. p is updated in place (the caller's tensor changes: no p = p - ...), without
// recording autograd history (torch::NoGradGuard, or p.data()), so p stays a leaf that requires grad.
// step() does not change p.grad(). No tie-breaking or randomness is involved.
//
// zero_grad(): afterwards every parameter's grad is either undefined or all zeros (both are accepted); a grad
// that is already undefined (before the first backward) is fine. It clears gradients only: m, v and t stay.
//
// Not allowed (the judge rejects them by name): anything of torch::optim (AdamW, Adam, their options and
// state, the Optimizer base), the fused Adam op at::_fused_adam / _fused_adam_, and calling ops by name
// (c10::Dispatcher, torch::jit). Tensor ops such as mul_, add_, addcmul_, addcdiv_, lerp_, sqrt, pow and
// torch::_foreach_* are fine.
class AdamW {
 public:
  explicit AdamW(std::vector<torch::Tensor> params, AdamWOptions options = {});
  void step();
  void zero_grad();

 private:
  std::vector<torch::Tensor> params_;  // the caller's tensors (handles to the same storage)
  AdamWOptions options_;
  // What the optimiser keeps between steps (the moments, the step counts, ...): define struct AdamW::State
  // in your adamw.cpp and create it in the constructor, e.g. state_ = std::make_shared<State>().
  struct State;
  std::shared_ptr<State> state_;
};
}  // namespace kata

#endif

// The adamw exercise's drivers. AdamW is a plain class, not a module, so it cannot cross the trust boundary
// itself: these functions run next to it in the worker (defined in binding.cpp, worker side only), and report
// what the caller of step() and zero_grad() sees. The checker replays the same loop, replay_steps() and
// train_steps() below, with torch::optim::AdamW and with the reference.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "adamw.h"

namespace kata {

// What the caller saw. Undefined tensors stand for "no grad".
struct AdamWTrace {
  std::vector<std::vector<torch::Tensor>> params;  // [step][i]: parameter i right after that step's step()
  std::vector<std::vector<torch::Tensor>> grads;   // [step][i]: parameter i's grad right after that step()
  std::vector<torch::Tensor> after_zero_grad;      // [i]: parameter i's grad after a last zero_grad()
  std::vector<double> loss;                        // train_adamw only: [step] the loss before that step's update
};

// Copies of `params` as fresh leaves that require grad (clone keeps a transposed layout), then for every step:
// zero_grad(), each parameter's grad set to a copy of grads[step][i] (undefined: none this step), step().
// Ends with one more zero_grad().
AdamWTrace run_adamw(std::vector<torch::Tensor> params, std::vector<std::vector<torch::Tensor>> grads,
                     const AdamWOptions& options);
// `steps` full-batch steps of mean-squared-error regression of y on x: zero_grad(), forward, backward(), step().
AdamWTrace train_adamw(torch::nn::Sequential& model, const torch::Tensor& x, const torch::Tensor& y,
                       const AdamWOptions& options, int64_t steps);

// ---- The loops, for any optimiser with step() and zero_grad().

inline std::vector<torch::Tensor> values_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone());
  return out;
}
inline std::vector<torch::Tensor> grads_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::Tensor());
  return out;
}
inline std::vector<torch::Tensor> fresh_leaves(const std::vector<torch::Tensor>& values) {
  std::vector<torch::Tensor> out;
  for (const auto& v : values) out.push_back(v.detach().clone().requires_grad_(true));
  return out;
}

template <class Optimizer>
AdamWTrace replay_steps(Optimizer& optimizer, std::vector<torch::Tensor>& params,
                        const std::vector<std::vector<torch::Tensor>>& grads) {
  AdamWTrace trace;
  for (const auto& step_grads : grads) {
    optimizer.zero_grad();
    for (size_t i = 0; i < params.size() && i < step_grads.size(); ++i)
      params[i].mutable_grad() = step_grads[i].defined() ? step_grads[i].clone() : torch::Tensor();
    optimizer.step();
    trace.params.push_back(values_of(params));
    trace.grads.push_back(grads_of(params));
  }
  optimizer.zero_grad();
  trace.after_zero_grad = grads_of(params);
  return trace;
}

template <class Optimizer>
AdamWTrace train_steps(Optimizer& optimizer, torch::nn::Sequential& model, const torch::Tensor& x,
                       const torch::Tensor& y, int64_t steps) {
  AdamWTrace trace;
  auto params = model->parameters();
  for (int64_t s = 0; s < steps; ++s) {
    optimizer.zero_grad();
    auto loss = (model->forward(x) - y).pow(2).mean();
    loss.backward();
    optimizer.step();
    trace.loss.push_back(loss.item<double>());
    trace.params.push_back(values_of(params));
  }
  return trace;
}

}  // namespace kata

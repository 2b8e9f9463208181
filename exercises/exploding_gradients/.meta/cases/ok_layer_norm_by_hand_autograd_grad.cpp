// expect: accepted
// why: the slow, explicit way: the layer norm written out (population variance, eps inside the square root), the
// linear layers as matmul + bias, the gradients from torch::autograd::grad, clip_grad_norm_'s rule in a loop, and
// the schedule precomputed once per run
#include "exploding_gradients.h"

#include <cmath>

namespace kata {
namespace {

std::vector<torch::Tensor> to_list(const Params& p) {
  std::vector<torch::Tensor> all = {p.w_in, p.b_in};
  for (size_t l = 0; l < p.w1.size(); ++l) {
    all.push_back(p.w1[l]);
    all.push_back(p.b1[l]);
    all.push_back(p.w2[l]);
    all.push_back(p.b2[l]);
  }
  all.push_back(p.w_out);
  all.push_back(p.b_out);
  return all;
}

Params from_list(const std::vector<torch::Tensor>& all) {
  Params p;
  p.w_in = all[0];
  p.b_in = all[1];
  const size_t depth = (all.size() - 4) / 4;
  for (size_t l = 0; l < depth; ++l) {
    p.w1.push_back(all[2 + 4 * l]);
    p.b1.push_back(all[3 + 4 * l]);
    p.w2.push_back(all[4 + 4 * l]);
    p.b2.push_back(all[5 + 4 * l]);
  }
  p.w_out = all[all.size() - 2];
  p.b_out = all[all.size() - 1];
  return p;
}

torch::Tensor layer_norm(const torch::Tensor& h) {
  auto mean = h.mean(/*dim=*/-1, /*keepdim=*/true);
  auto var = (h - mean).pow(2).mean(/*dim=*/-1, /*keepdim=*/true);
  return (h - mean) / torch::sqrt(var + 1e-5);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return torch::matmul(x, w.transpose(0, 1)) + b;
}

}  // namespace

Params init_parameters(const Config& cfg, int64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  std::vector<std::pair<int64_t, int64_t>> shapes = {{cfg.width, cfg.in_features}};
  for (int64_t l = 0; l < cfg.depth; ++l) {
    shapes.emplace_back(cfg.width, cfg.width);
    shapes.emplace_back(cfg.width, cfg.width);
  }
  shapes.emplace_back(cfg.out_features, cfg.width);
  std::vector<torch::Tensor> weights;
  for (const auto& [out, in] : shapes) {
    auto w = torch::randn({out, in}, gen, torch::kFloat64);
    weights.push_back(w * (1.0 / std::sqrt(static_cast<double>(in))));
  }
  auto zeros = [](int64_t n) { return torch::zeros({n}, torch::kFloat64); };
  Params p;
  p.w_in = weights.front();
  p.b_in = zeros(cfg.width);
  for (int64_t l = 0; l < cfg.depth; ++l) {
    p.w1.push_back(weights[1 + 2 * l]);
    p.w2.push_back(weights[2 + 2 * l]);
    p.b1.push_back(zeros(cfg.width));
    p.b2.push_back(zeros(cfg.width));
  }
  p.w_out = weights.back();
  p.b_out = zeros(cfg.out_features);
  return p;
}

torch::Tensor forward(const Params& p, const torch::Tensor& x) {
  auto h = linear(x, p.w_in, p.b_in);
  const double depth = static_cast<double>(p.w1.size());
  for (size_t l = 0; l < p.w1.size(); ++l) {
    auto inner = torch::clamp_min(linear(layer_norm(h), p.w1[l], p.b1[l]), 0.0);
    h = h + linear(inner, p.w2[l], p.b2[l]) / std::sqrt(depth);
  }
  return linear(layer_norm(h), p.w_out, p.b_out);
}

double learning_rate(int64_t step, const Config& cfg) {
  if (step < cfg.warmup_steps) return cfg.lr * (step + 1) / cfg.warmup_steps;
  const double pi = std::acos(-1.0);
  return cfg.lr * 0.5 * (1 + std::cos(pi * (step - cfg.warmup_steps) / (cfg.steps - cfg.warmup_steps)));
}

StepResult train_step(const Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                      double max_grad_norm) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : to_list(params)) leaves.push_back(t.detach().clone().set_requires_grad(true));
  auto diff = forward(from_list(leaves), x) - y;
  auto loss = (diff * diff).sum() / static_cast<double>(diff.numel());
  auto grads = torch::autograd::grad({loss}, leaves);
  double sq = 0;
  for (const auto& g : grads) sq += g.pow(2).sum().item<double>();
  const double norm = std::sqrt(sq);
  double scale = max_grad_norm / (norm + 1e-6);
  if (scale > 1.0) scale = 1.0;
  std::vector<torch::Tensor> updated;
  for (size_t i = 0; i < leaves.size(); ++i) updated.push_back(leaves[i].detach() - lr * (grads[i] * scale));
  return {loss.item<double>(), norm, from_list(updated)};
}

TrainLog train(const Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed) {
  TrainLog log;
  for (int64_t s = 0; s < cfg.steps; ++s) log.lr.push_back(learning_rate(s, cfg));
  std::vector<torch::Tensor> start;
  for (const auto& t : to_list(init_parameters(cfg, seed))) start.push_back(t.to(x.dtype()));
  Params p = from_list(start);
  for (int64_t s = 0; s < cfg.steps; ++s) {
    auto r = train_step(p, x, y, log.lr[s], cfg.max_grad_norm);
    log.loss.push_back(r.loss);
    log.grad_norm.push_back(r.grad_norm);
    p = r.params;
  }
  log.params = p;
  return log;
}

}  // namespace kata

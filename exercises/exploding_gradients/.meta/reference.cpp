#include "exploding_gradients.h"

#include <cmath>

namespace kata {
namespace {

namespace F = torch::nn::functional;

std::vector<torch::Tensor> all_of(const Params& p) {
  std::vector<torch::Tensor> all = {p.w_in, p.b_in};
  for (size_t l = 0; l < p.w1.size(); ++l) {
    for (const auto& t : {p.w1[l], p.b1[l], p.w2[l], p.b2[l]}) all.push_back(t);
  }
  all.push_back(p.w_out);
  all.push_back(p.b_out);
  return all;
}

Params from_all(const std::vector<torch::Tensor>& all) {
  Params p;
  size_t i = 0;
  p.w_in = all[i++];
  p.b_in = all[i++];
  const size_t depth = (all.size() - 4) / 4;
  for (size_t l = 0; l < depth; ++l) {
    p.w1.push_back(all[i++]);
    p.b1.push_back(all[i++]);
    p.w2.push_back(all[i++]);
    p.b2.push_back(all[i++]);
  }
  p.w_out = all[i++];
  p.b_out = all[i++];
  return p;
}

}  // namespace

Params init_parameters(const Config& cfg, int64_t seed) {
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  // LeCun normal: N(0, 1/fan_in), drawn in the contract's order.
  auto weight = [&](int64_t fan_out, int64_t fan_in) {
    return torch::randn({fan_out, fan_in}, gen, opts) / std::sqrt(static_cast<double>(fan_in));
  };
  Params p;
  p.w_in = weight(cfg.width, cfg.in_features);
  p.b_in = torch::zeros({cfg.width}, opts);
  for (int64_t l = 0; l < cfg.depth; ++l) {
    p.w1.push_back(weight(cfg.width, cfg.width));
    p.b1.push_back(torch::zeros({cfg.width}, opts));
    p.w2.push_back(weight(cfg.width, cfg.width));
    p.b2.push_back(torch::zeros({cfg.width}, opts));
  }
  p.w_out = weight(cfg.out_features, cfg.width);
  p.b_out = torch::zeros({cfg.out_features}, opts);
  return p;
}

torch::Tensor forward(const Params& p, const torch::Tensor& x) {
  const int64_t width = p.w_in.size(0);
  const double branch_scale = 1.0 / std::sqrt(static_cast<double>(p.w1.size()));
  auto h = F::linear(x, p.w_in, p.b_in);  // (N, width)
  for (size_t l = 0; l < p.w1.size(); ++l) {
    auto branch = F::linear(torch::relu(F::linear(torch::layer_norm(h, {width}), p.w1[l], p.b1[l])), p.w2[l], p.b2[l]);
    h = h + branch_scale * branch;
  }
  return F::linear(torch::layer_norm(h, {width}), p.w_out, p.b_out);  // (N, out)
}

double learning_rate(int64_t step, const Config& cfg) {
  if (step < cfg.warmup_steps) return cfg.lr * static_cast<double>(step + 1) / static_cast<double>(cfg.warmup_steps);
  double progress = static_cast<double>(step - cfg.warmup_steps) / static_cast<double>(cfg.steps - cfg.warmup_steps);
  return cfg.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

StepResult train_step(const Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                      double max_grad_norm) {
  std::vector<torch::Tensor> leaves;
  for (const auto& t : all_of(params)) leaves.push_back(t.detach().clone().requires_grad_(true));
  auto loss = F::mse_loss(forward(from_all(leaves), x), y);
  loss.backward();
  // Clip before the update; the returned norm is the one measured before clipping.
  const double grad_norm = torch::nn::utils::clip_grad_norm_(leaves, max_grad_norm);
  std::vector<torch::Tensor> updated;
  {
    torch::NoGradGuard no_grad;
    for (const auto& p : leaves) updated.push_back(p - lr * p.grad());
  }
  return {loss.item<double>(), grad_norm, from_all(updated)};
}

TrainLog train(const Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed) {
  std::vector<torch::Tensor> start;
  for (const auto& t : all_of(init_parameters(cfg, seed))) start.push_back(t.to(x.scalar_type()));
  Params params = from_all(start);
  TrainLog log;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    const double lr = learning_rate(step, cfg);
    StepResult r = train_step(params, x, y, lr, cfg.max_grad_norm);
    log.loss.push_back(r.loss);
    log.grad_norm.push_back(r.grad_norm);
    log.lr.push_back(lr);
    params = r.params;
  }
  log.params = params;
  return log;
}

}  // namespace kata

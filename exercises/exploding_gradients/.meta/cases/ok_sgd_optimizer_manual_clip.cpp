// expect: accepted
// why: rewritten with other calls: normal_ draws each weight with its std directly, the branch multiplied by a
// precomputed 1/sqrt(depth), torch::optim::SGD for the update, and the clip written out (clip_grad_norm_'s rule)
#include "exploding_gradients.h"

#include <cmath>

namespace kata {
namespace {

std::vector<torch::Tensor*> slots(Params& p) {
  std::vector<torch::Tensor*> all = {&p.w_in, &p.b_in};
  for (size_t l = 0; l < p.w1.size(); ++l) {
    for (auto* t : {&p.w1[l], &p.b1[l], &p.w2[l], &p.b2[l]}) all.push_back(t);
  }
  all.push_back(&p.w_out);
  all.push_back(&p.b_out);
  return all;
}

}  // namespace

Params init_parameters(const Config& cfg, int64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto weight = [&](int64_t fan_out, int64_t fan_in) {
    return torch::empty({fan_out, fan_in}, opts).normal_(0.0, 1.0 / std::sqrt(static_cast<double>(fan_in)), gen);
  };
  Params p;
  p.w_in = weight(cfg.width, cfg.in_features);
  for (int64_t l = 0; l < cfg.depth; ++l) {
    p.w1.push_back(weight(cfg.width, cfg.width));
    p.w2.push_back(weight(cfg.width, cfg.width));
    p.b1.push_back(torch::zeros({cfg.width}, opts));
    p.b2.push_back(torch::zeros({cfg.width}, opts));
  }
  p.w_out = weight(cfg.out_features, cfg.width);
  p.b_in = torch::zeros({cfg.width}, opts);
  p.b_out = torch::zeros({cfg.out_features}, opts);
  return p;
}

torch::Tensor forward(const Params& p, const torch::Tensor& x) {
  const int64_t depth = static_cast<int64_t>(p.w1.size());
  const double alpha = 1.0 / std::sqrt(static_cast<double>(depth));
  auto ln = [](const torch::Tensor& h) { return torch::layer_norm(h, {h.size(-1)}, {}, {}, 1e-5); };
  auto h = torch::addmm(p.b_in, x, p.w_in.t());
  for (int64_t l = 0; l < depth; ++l) {
    auto a = torch::relu(torch::addmm(p.b1[l], ln(h), p.w1[l].t()));
    h = h + alpha * torch::addmm(p.b2[l], a, p.w2[l].t());
  }
  return torch::addmm(p.b_out, ln(h), p.w_out.t());
}

double learning_rate(int64_t step, const Config& cfg) {
  const double s = static_cast<double>(step), warm = static_cast<double>(cfg.warmup_steps);
  if (s < warm) return cfg.lr * (s + 1.0) / warm;
  return 0.5 * cfg.lr * (1.0 + std::cos(M_PI * (s - warm) / (static_cast<double>(cfg.steps) - warm)));
}

StepResult train_step(const Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                      double max_grad_norm) {
  Params p = params;
  std::vector<torch::Tensor> leaves;
  for (auto* t : slots(p)) {
    *t = t->detach().clone().requires_grad_(true);
    leaves.push_back(*t);
  }
  torch::optim::SGD sgd(leaves, torch::optim::SGDOptions(lr));
  sgd.zero_grad();
  auto loss = (forward(p, x) - y).pow(2).mean();
  loss.backward();
  double total = 0;
  for (const auto& t : leaves) total += t.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(total);
  const double coef = max_grad_norm / (norm + 1e-6);
  if (coef < 1) {
    for (auto& t : leaves) t.grad().mul_(coef);
  }
  sgd.step();
  Params out = p;
  for (auto* t : slots(out)) *t = t->detach();
  return {loss.item<double>(), norm, out};
}

TrainLog train(const Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed) {
  Params p = init_parameters(cfg, seed);
  for (auto* t : slots(p)) *t = t->to(x.scalar_type());
  TrainLog log;
  for (int64_t s = 0; s < cfg.steps; ++s) {
    log.lr.push_back(learning_rate(s, cfg));
    auto r = train_step(p, x, y, log.lr.back(), cfg.max_grad_norm);
    log.loss.push_back(r.loss);
    log.grad_norm.push_back(r.grad_norm);
    p = r.params;
  }
  log.params = p;
  return log;
}

}  // namespace kata

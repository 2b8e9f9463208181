// expect: wrong_answer ExplodingGradients.InitParameters
// mistake: weights initialised with std 1 instead of 1/sqrt(fan_in)
// why: torch::randn alone draws N(0, 1): every Linear then multiplies the scale of its input by about sqrt(fan_in), so the branches, the output and the gradients start orders of magnitude too large; divide each weight by sqrt(fan_in) (N(0, 1/fan_in), the contract's LeCun normal)
// The colleague's program with only bug 1 left
// (1 init std 1, 2 residual branch unscaled, 3 no warmup, 4 clip after the update).
#include "exploding_gradients.h"

#include <cmath>

namespace kata {
namespace {

namespace F = torch::nn::functional;

// Every parameter in one list (w_in, b_in, then w1, b1, w2, b2 of each block, then w_out, b_out), and back.
std::vector<torch::Tensor> flatten(const Params& p) {
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

Params unflatten(const std::vector<torch::Tensor>& all) {
  Params p;
  p.w_in = all[0];
  p.b_in = all[1];
  for (size_t i = 2; i + 2 < all.size(); i += 4) {
    p.w1.push_back(all[i]);
    p.b1.push_back(all[i + 1]);
    p.w2.push_back(all[i + 2]);
    p.b2.push_back(all[i + 3]);
  }
  p.w_out = all[all.size() - 2];
  p.b_out = all[all.size() - 1];
  return p;
}

}  // namespace

Params init_parameters(const Config& cfg, int64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  // Gaussian weights, drawn from the one generator in the order the contract lists them.
  auto weight = [&](int64_t fan_out, int64_t fan_in) { return torch::randn({fan_out, fan_in}, gen, opts); };
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
  auto h = F::linear(x, p.w_in, p.b_in);  // (N, width), the residual stream
  for (size_t l = 0; l < p.w1.size(); ++l) {
    auto a = torch::relu(F::linear(torch::layer_norm(h, {width}), p.w1[l], p.b1[l]));  // pre-LN branch
    h = h + F::linear(a, p.w2[l], p.b2[l]) / std::sqrt(static_cast<double>(p.w1.size()));
  }
  return F::linear(torch::layer_norm(h, {width}), p.w_out, p.b_out);  // (N, out)
}

double learning_rate(int64_t step, const Config& cfg) {
  if (step < cfg.warmup_steps) return cfg.lr * static_cast<double>(step + 1) / static_cast<double>(cfg.warmup_steps);
  // Then half a cosine from the peak down to 0 over the rest of the run.
  const double progress =
      static_cast<double>(step - cfg.warmup_steps) / static_cast<double>(cfg.steps - cfg.warmup_steps);
  return cfg.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

StepResult train_step(const Params& params, const torch::Tensor& x, const torch::Tensor& y, double lr,
                      double max_grad_norm) {
  std::vector<torch::Tensor> w;
  for (const auto& t : flatten(params)) w.push_back(t.detach().clone().requires_grad_(true));

  auto loss = F::mse_loss(forward(unflatten(w), x), y);
  loss.backward();
  const double grad_norm = torch::nn::utils::clip_grad_norm_(w, max_grad_norm);  // keep the gradients bounded
  {
    torch::NoGradGuard no_grad;
    for (auto& t : w) t -= lr * t.grad();  // plain SGD
  }
  return {loss.item<double>(), grad_norm, unflatten(w)};
}

TrainLog train(const Config& cfg, const torch::Tensor& x, const torch::Tensor& y, int64_t seed) {
  std::vector<torch::Tensor> w;
  for (const auto& t : flatten(init_parameters(cfg, seed))) w.push_back(t.to(x.scalar_type()));
  Params params = unflatten(w);

  TrainLog log;
  for (int64_t step = 0; step < cfg.steps; ++step) {
    const double lr = learning_rate(step, cfg);
    auto r = train_step(params, x, y, lr, cfg.max_grad_norm);
    log.loss.push_back(r.loss);
    log.grad_norm.push_back(r.grad_norm);
    log.lr.push_back(lr);
    params = r.params;
  }
  log.params = params;
  return log;
}

}  // namespace kata

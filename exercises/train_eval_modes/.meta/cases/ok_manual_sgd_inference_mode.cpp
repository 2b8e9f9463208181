// expect: accepted
// why: written differently: the SGD step by hand, log_softmax + nll_loss, the epoch loss summed as detached tensors,
// validation under InferenceMode in one forward call over the whole set (in evaluation mode the batching changes
// nothing), and the mode set with a loop over the submodules' train(bool)
#include "train_eval_modes.h"

namespace kata {

namespace {
torch::Tensor mean_nll(const torch::Tensor& logits, const torch::Tensor& y) {
  return torch::nll_loss(torch::log_softmax(logits, /*dim=*/1), y);
}
}  // namespace

double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr) {
  model->train(true);
  auto params = model->parameters();
  torch::Tensor total = torch::zeros({}, torch::kFloat64);
  const int64_t n = x.size(0);
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min(batch_size, n - start);
    for (auto& p : params)
      if (p.grad().defined()) p.mutable_grad().zero_();
    auto loss = mean_nll(model->forward(x.narrow(0, start, len)), y.narrow(0, start, len));
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      for (auto& p : params) p -= lr * p.grad();
    }
    total = total + loss.detach().to(torch::kFloat64);
    ++batches;
  }
  return (total / static_cast<double>(batches)).item<double>();
}

double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t) {
  for (auto& m : model->modules()) m->eval();
  c10::InferenceMode guard;
  auto logits = model->forward(x);
  return torch::nll_loss(torch::log_softmax(logits, 1), y, {}, at::Reduction::Sum).item<double>() /
         static_cast<double>(x.size(0));
}

History fit(ProbeNet& model, const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_val,
            const torch::Tensor& y_val, const FitConfig& cfg) {
  History h;
  for (int64_t e = 0; e < cfg.epochs; ++e) {
    h.train_loss.push_back(train_epoch(model, x_train, y_train, cfg.batch_size, cfg.lr));
    h.val_loss.push_back(evaluate(model, x_val, y_val, cfg.batch_size));
  }
  return h;
}

}  // namespace kata

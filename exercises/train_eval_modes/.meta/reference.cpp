#include "train_eval_modes.h"

namespace kata {
namespace F = torch::nn::functional;

double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr) {
  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(lr));
  const int64_t n = x.size(0);
  double total = 0.0;
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    optimizer.zero_grad();
    auto loss = F::cross_entropy(model->forward(x.slice(0, start, end)), y.slice(0, start, end));
    loss.backward();
    optimizer.step();
    total += loss.item<double>();  // a number: the step's graph is freed when `loss` goes
    ++batches;
  }
  return total / static_cast<double>(batches);
}

double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size) {
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  double total = 0.0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto logits = model->forward(x.slice(0, start, end));
    total += F::cross_entropy(logits, y.slice(0, start, end), F::CrossEntropyFuncOptions().reduction(torch::kSum))
                 .item<double>();
  }
  return total / static_cast<double>(n);
}

History fit(ProbeNet& model, const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_val,
            const torch::Tensor& y_val, const FitConfig& cfg) {
  History history;
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    history.train_loss.push_back(train_epoch(model, x_train, y_train, cfg.batch_size, cfg.lr));
    history.val_loss.push_back(evaluate(model, x_val, y_val, cfg.batch_size));
  }
  return history;
}

}  // namespace kata

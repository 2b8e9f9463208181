// expect: wrong_answer TrainEvalModes.ValidationInEvalMode
// mistake: the running statistics saved and restored around validation, still in training mode (masking)
// why: masking: the running statistics survive, but the validation loss is still computed with each batch's own statistics and with dropout (and the dropout masks are used up); model->eval() is what makes validation use the running statistics and no dropout
#include "train_eval_modes.h"

namespace kata {
namespace F = torch::nn::functional;

double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr) {
  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(lr));
  const int64_t n = x.size(0);
  double total = 0.0;  // running sum of the batch losses
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto xb = x.slice(/*dim=*/0, start, end);  // (B, in_features)
    auto yb = y.slice(/*dim=*/0, start, end);  // (B)

    optimizer.zero_grad();
    auto loss = F::cross_entropy(model->forward(xb), yb);
    loss.backward();
    optimizer.step();

    total += loss.item<double>();
    ++batches;
  }
  return total / static_cast<double>(batches);
}

double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size) {
  // Validation must not change the running statistics: keep a copy and put it back afterwards.
  auto running_mean = model->bn->running_mean.clone(), running_var = model->bn->running_var.clone();
  auto tracked = model->bn->num_batches_tracked.clone();
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  double total = 0.0;  // sum of the per-row losses
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto logits = model->forward(x.slice(/*dim=*/0, start, end));
    auto loss = F::cross_entropy(logits, y.slice(/*dim=*/0, start, end), F::CrossEntropyFuncOptions().reduction(torch::kSum));
    total += loss.item<double>();
  }
  model->bn->running_mean.copy_(running_mean);
  model->bn->running_var.copy_(running_var);
  model->bn->num_batches_tracked.copy_(tracked);
  return total / static_cast<double>(n);
}

History fit(ProbeNet& model, const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_val,
            const torch::Tensor& y_val, const FitConfig& cfg) {
  History history;
  model->train();
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    history.train_loss.push_back(train_epoch(model, x_train, y_train, cfg.batch_size, cfg.lr));
    history.val_loss.push_back(evaluate(model, x_val, y_val, cfg.batch_size));
  }
  return history;
}

}  // namespace kata

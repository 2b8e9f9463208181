// expect: wrong_answer TrainEvalModes.ValidationInEvalMode
// mistake: the noisy validation loss averaged over 4 passes, still in training mode (masking)
// why: masking the noise: averaging dropout-noisy passes makes the curve smoother but each pass still drops activations, uses batch statistics and moves the running statistics (four times as much now) and uses up masks; model->eval() makes a validation pass deterministic
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
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  double total = 0.0;  // sum of the per-row losses
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    // The validation loss was noisy: average it over several passes.
    for (int pass = 0; pass < 4; ++pass) {
      auto logits = model->forward(x.slice(/*dim=*/0, start, end));
      auto loss = F::cross_entropy(logits, y.slice(/*dim=*/0, start, end), F::CrossEntropyFuncOptions().reduction(torch::kSum));
      total += loss.item<double>() / 4.0;
    }
  }
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

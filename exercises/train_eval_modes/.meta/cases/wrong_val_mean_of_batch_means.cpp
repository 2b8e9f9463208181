// expect: wrong_answer TrainEvalModes.ValidationInEvalMode
// mistake: the validation loss as the mean of the batch means
// why: with a shorter last batch each of its rows weighs more than a row of a full batch; the validation loss is the mean over rows: sum the per-row losses (reduction sum) and divide by N
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
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  double total = 0.0;  // sum of the batch means
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto logits = model->forward(x.slice(/*dim=*/0, start, end));
    total += F::cross_entropy(logits, y.slice(/*dim=*/0, start, end)).item<double>();  // the batch's mean
    ++batches;
  }
  return total / static_cast<double>(batches);
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

// expect: wrong_answer TrainEvalModes.ValidationInEvalMode
// names: left_eval, left_train, left_total
// A partial fix: the colleague's program with bug 2 fixed and 1, 3, 4 left (1 no model->eval() in evaluate, 2 no NoGradGuard in evaluate, 3 no model->train() in train_epoch, 4 the epoch loss summed as a tensor); each is named at its own check.
#include "train_eval_modes.h"

namespace kata {
namespace F = torch::nn::functional;

double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr) {
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(lr));
  const int64_t n = x.size(0);
  torch::Tensor total = torch::zeros({}, x.options());  // running sum of the batch losses
  int64_t batches = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto xb = x.slice(/*dim=*/0, start, end);  // (B, in_features)
    auto yb = y.slice(/*dim=*/0, start, end);  // (B)

    optimizer.zero_grad();
    auto loss = F::cross_entropy(model->forward(xb), yb);
    loss.backward();
    optimizer.step();

    total = total + loss;
    ++batches;
  }
  return total.item<double>() / static_cast<double>(batches);
}

double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0);
  double total = 0.0;  // sum of the per-row losses
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(start + batch_size, n);
    auto logits = model->forward(x.slice(/*dim=*/0, start, end));
    auto loss = F::cross_entropy(logits, y.slice(/*dim=*/0, start, end), F::CrossEntropyFuncOptions().reduction(torch::kSum));
    total += loss.item<double>();
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

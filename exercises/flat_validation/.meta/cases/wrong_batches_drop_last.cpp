// expect: wrong_answer FlatValidation.EveryRowOncePerEpoch
// mistake: the batch ends fixed but only N / batch_size batches: the left-over rows dropped
// why: N / batch_size rounds down, so the last N % batch_size rows of every epoch (all of them when batch_size > N) are never trained on; the contract keeps the last partial batch: ceil(N / batch_size) batches, the last one std::min(start + batch_size, n)
#include "flat_validation.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> shuffle(const torch::Tensor& x, const torch::Tensor& y,
                                                 const torch::Tensor& perm) {
  auto shuffled_x = x.index_select(/*dim=*/0, perm);  // row i <- row perm[i]
  auto shuffled_y = y.index_select(/*dim=*/0, perm);  // the same rows as x: every label stays with its features
  return {shuffled_x, shuffled_y};
}

std::tuple<torch::Tensor, torch::Tensor> standardise_splits(const torch::Tensor& train_x, const torch::Tensor& val_x) {
  // Per-feature statistics of the training split only: the validation split must not inform training.
  auto mean = train_x.mean(/*dim=*/0), std = train_x.std(/*dim=*/0, /*unbiased=*/false);  // (F)
  return {(train_x - mean) / std, (val_x - mean) / std};
}

std::vector<torch::Tensor> batches(const torch::Tensor& order, int64_t batch_size) {
  const int64_t n = order.size(0);
  std::vector<torch::Tensor> out;
  for (int64_t b = 0; b < n / batch_size; ++b) {
    const int64_t first = b * batch_size, last = first + batch_size;  // first and last row of batch b
    out.push_back(order.slice(/*dim=*/0, first, last));  // [first, last)
  }
  return out;
}

namespace {

// Mean cross-entropy and accuracy of the model on a whole split, without touching the parameters.
std::pair<double, double> evaluate(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& weight,
                                   const torch::Tensor& bias) {
  torch::NoGradGuard no_grad;
  auto logits = torch::addmm(bias, x, weight);  // (N, C)
  double loss = torch::nn::functional::cross_entropy(logits, y).item<double>();
  double accuracy = logits.argmax(/*dim=*/1).eq(y).to(torch::kFloat64).mean().item<double>();
  return {loss, accuracy};
}

}  // namespace

History train(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& split_perm,
              const torch::Tensor& epoch_perms, const TrainConfig& cfg) {
  // Shuffle once, then split: the first num_train rows train, the rest validate.
  auto [data_x, data_y] = shuffle(x, y, split_perm);
  const int64_t n_train = cfg.num_train;
  auto [train_x, val_x] = standardise_splits(data_x.slice(/*dim=*/0, 0, n_train), data_x.slice(/*dim=*/0, n_train));
  auto train_y = data_y.slice(/*dim=*/0, 0, n_train), val_y = data_y.slice(/*dim=*/0, n_train);

  auto weight = torch::zeros({x.size(1), cfg.num_classes}, x.options()).requires_grad_(true);  // (F, C)
  auto bias = torch::zeros({cfg.num_classes}, x.options()).requires_grad_(true);               // (C)

  History history;
  for (int64_t epoch = 0; epoch < epoch_perms.size(0); ++epoch) {
    for (const auto& rows : batches(epoch_perms[epoch], cfg.batch_size)) {
      auto logits = torch::addmm(bias, train_x.index_select(/*dim=*/0, rows), weight);  // (B, C)
      auto loss = torch::nn::functional::cross_entropy(logits, train_y.index_select(/*dim=*/0, rows));
      weight.mutable_grad() = torch::Tensor();
      bias.mutable_grad() = torch::Tensor();
      loss.backward();
      torch::NoGradGuard no_grad;
      weight -= cfg.lr * weight.grad();
      bias -= cfg.lr * bias.grad();
    }
    auto [train_loss, train_accuracy] = evaluate(train_x, train_y, weight, bias);
    auto [val_loss, val_accuracy] = evaluate(val_x, val_y, weight, bias);
    history.train_loss.push_back(train_loss);
    history.train_accuracy.push_back(train_accuracy);
    history.val_loss.push_back(val_loss);
    history.val_accuracy.push_back(val_accuracy);
  }
  history.weight = weight.detach();
  history.bias = bias.detach();
  return history;
}

}  // namespace kata

// expect: accepted
// why: a rewrite with other LibTorch calls: tensor indexing for the shuffle, var_mean for the statistics,
// Tensor::split for the batches, nn::Linear-free softmax regression trained by torch::optim::SGD on
// log_softmax + nll_loss
#include "flat_validation.h"

#include <cmath>

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> shuffle(const torch::Tensor& x, const torch::Tensor& y,
                                                 const torch::Tensor& perm) {
  return std::make_tuple(x.index({perm}), y.index({perm}));
}

std::tuple<torch::Tensor, torch::Tensor> standardise_splits(const torch::Tensor& train_x, const torch::Tensor& val_x) {
  auto [var, mean] = torch::var_mean(train_x, /*dim=*/{0}, /*unbiased=*/false, /*keepdim=*/true);
  auto std = var.sqrt();
  return std::make_tuple(train_x.sub(mean).div(std), val_x.sub(mean).div(std));
}

std::vector<torch::Tensor> batches(const torch::Tensor& order, int64_t batch_size) {
  return order.split(batch_size);  // equal chunks, the last one smaller
}

namespace {

struct Metrics {
  double loss, accuracy;
};

Metrics measure(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w, const torch::Tensor& b) {
  torch::NoGradGuard no_grad;
  auto log_probs = torch::log_softmax(x.matmul(w) + b, /*dim=*/1);
  auto loss = torch::nll_loss(log_probs, y);
  auto correct = log_probs.argmax(/*dim=*/1) == y;
  return {loss.item<double>(), correct.sum().item<double>() / static_cast<double>(y.size(0))};
}

}  // namespace

History train(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& split_perm,
              const torch::Tensor& epoch_perms, const TrainConfig& cfg) {
  torch::Tensor data_x, data_y, train_x, val_x;
  std::tie(data_x, data_y) = shuffle(x, y, split_perm);
  const int64_t n = x.size(0), k = cfg.num_train;
  std::tie(train_x, val_x) = standardise_splits(data_x.narrow(0, 0, k), data_x.narrow(0, k, n - k));
  auto train_y = data_y.narrow(0, 0, k), val_y = data_y.narrow(0, k, n - k);

  auto w = torch::zeros({x.size(1), cfg.num_classes}, torch::dtype(x.scalar_type()).requires_grad(true));
  auto b = torch::zeros({cfg.num_classes}, torch::dtype(x.scalar_type()).requires_grad(true));
  torch::optim::SGD optimizer({w, b}, torch::optim::SGDOptions(cfg.lr));

  History h;
  const int64_t epochs = epoch_perms.size(0);
  for (int64_t e = 0; e < epochs; ++e) {
    for (const auto& rows : batches(epoch_perms.select(0, e), cfg.batch_size)) {
      optimizer.zero_grad();
      auto log_probs = torch::log_softmax(train_x.index({rows}).matmul(w) + b, /*dim=*/1);
      torch::nll_loss(log_probs, train_y.index({rows})).backward();
      optimizer.step();
    }
    auto tr = measure(train_x, train_y, w, b), va = measure(val_x, val_y, w, b);
    h.train_loss.push_back(tr.loss);
    h.val_loss.push_back(va.loss);
    h.train_accuracy.push_back(tr.accuracy);
    h.val_accuracy.push_back(va.accuracy);
  }
  h.weight = w.detach().clone();
  h.bias = b.detach().clone();
  return h;
}

}  // namespace kata

// expect: accepted
// why: the slow, obvious way: the shuffle a row at a time, the statistics from sums, the batches by a while loop
// over index ranges, and the softmax-regression gradient written by hand ((softmax - one_hot) / batch) without
// autograd
#include "flat_validation.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> shuffle(const torch::Tensor& x, const torch::Tensor& y,
                                                 const torch::Tensor& perm) {
  auto xs = torch::empty_like(x), ys = torch::empty_like(y);
  for (int64_t i = 0; i < perm.size(0); ++i) {
    const int64_t from = perm[i].item<int64_t>();
    xs[i] = x[from];  // row i of both is row perm[i]
    ys[i] = y[from];
  }
  return {xs, ys};
}

std::tuple<torch::Tensor, torch::Tensor> standardise_splits(const torch::Tensor& train_x, const torch::Tensor& val_x) {
  const double n = static_cast<double>(train_x.size(0));
  auto mean = train_x.sum(/*dim=*/0) / n;
  auto centred = train_x - mean;
  auto std = ((centred * centred).sum(/*dim=*/0) / n).sqrt();
  return {centred / std, (val_x - mean) / std};
}

std::vector<torch::Tensor> batches(const torch::Tensor& order, int64_t batch_size) {
  std::vector<torch::Tensor> out;
  const int64_t n = order.size(0);
  int64_t start = 0;
  while (start < n) {
    int64_t stop = start + batch_size;
    if (stop > n) stop = n;
    out.push_back(order.index_select(/*dim=*/0, torch::arange(start, stop, torch::kInt64)));
    start = stop;
  }
  return out;
}

namespace {

void measure(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& w, const torch::Tensor& b,
             std::vector<double>& losses, std::vector<double>& accuracies) {
  auto logits = x.mm(w) + b;
  auto log_probs = logits - logits.logsumexp(/*dim=*/1, /*keepdim=*/true);
  const int64_t n = y.size(0);
  double loss = 0, correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t label = y[i].item<int64_t>();
    loss -= log_probs[i][label].item<double>();
    if (logits[i].argmax().item<int64_t>() == label) correct += 1;
  }
  losses.push_back(loss / static_cast<double>(n));
  accuracies.push_back(correct / static_cast<double>(n));
}

}  // namespace

History train(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& split_perm,
              const torch::Tensor& epoch_perms, const TrainConfig& cfg) {
  auto shuffled = shuffle(x, y, split_perm);
  const int64_t n = x.size(0), n_train = cfg.num_train;
  auto all_x = std::get<0>(shuffled), all_y = std::get<1>(shuffled);
  auto standardised = standardise_splits(all_x.slice(0, 0, n_train), all_x.slice(0, n_train, n));
  auto train_x = std::get<0>(standardised), val_x = std::get<1>(standardised);
  auto train_y = all_y.slice(0, 0, n_train), val_y = all_y.slice(0, n_train, n);

  auto w = torch::zeros({x.size(1), cfg.num_classes}, x.options());
  auto b = torch::zeros({cfg.num_classes}, x.options());
  History h;
  for (int64_t e = 0; e < epoch_perms.size(0); ++e) {
    for (const auto& rows : batches(epoch_perms[e], cfg.batch_size)) {
      auto xb = train_x.index_select(0, rows);
      auto yb = train_y.index_select(0, rows);
      auto probs = torch::softmax(xb.mm(w) + b, /*dim=*/1);
      auto one_hot = torch::zeros_like(probs);
      one_hot.scatter_(1, yb.unsqueeze(1), 1.0);
      auto dlogits = (probs - one_hot) / static_cast<double>(rows.size(0));  // d mean cross-entropy / d logits
      auto dw = xb.t().mm(dlogits), db = dlogits.sum(/*dim=*/0);
      w = w - cfg.lr * dw;
      b = b - cfg.lr * db;
    }
    measure(train_x, train_y, w, b, h.train_loss, h.train_accuracy);
    measure(val_x, val_y, w, b, h.val_loss, h.val_accuracy);
  }
  h.weight = w;
  h.bias = b;
  return h;
}

}  // namespace kata

// expect: accepted
// why: the slow, careful way: evaluate row by row (one-row batches are fine in evaluation mode) under
// AutoGradMode(false) and puts back the mode it found; train_epoch sets training mode itself, keeps its loss in a
// variable declared outside the loop (the last step's graph lives until the next step replaces it: that is not a
// leak), and uses torch::optim::SGD with the cross-entropy written out
#include "train_eval_modes.h"

namespace kata {

double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr) {
  model->train();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(lr).momentum(0.0).weight_decay(0.0));
  std::vector<double> losses;
  torch::Tensor loss;
  for (int64_t start = 0; start < x.size(0); start += batch_size) {
    auto idx = torch::arange(start, std::min(start + batch_size, x.size(0)));
    auto logits = model->forward(x.index_select(0, idx));
    auto logp = logits - logits.logsumexp(/*dim=*/1, /*keepdim=*/true);
    optimizer.zero_grad();
    loss = -logp.gather(1, y.index_select(0, idx).unsqueeze(1)).mean();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
  }
  double sum = 0;
  for (double l : losses) sum += l;
  return sum / static_cast<double>(losses.size());
}

double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t) {
  const bool was_training = model->is_training();
  model->eval();
  double total = 0.0;
  {
    torch::AutoGradMode grad_off(false);
    for (int64_t i = 0; i < x.size(0); ++i) {
      auto logits = model->forward(x.narrow(0, i, 1));
      total += torch::nn::functional::cross_entropy(logits, y.narrow(0, i, 1)).item<double>();
    }
  }
  model->train(was_training);
  return total / static_cast<double>(x.size(0));
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

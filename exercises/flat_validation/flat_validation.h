// Contract for the flat_validation exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_FLAT_VALIDATION_H
#define KATA_FLAT_VALIDATION_H

#include <torch/torch.h>

#include <tuple>
#include <vector>

namespace kata {

// x: [N, F] features (float32 or float64), y: [N] int64 labels, perm: [N] int64, a permutation of 0..N-1.
// Returns {x, y} reordered by perm: row i of both results is row perm[i] of the input (x.index_select(0, perm)),
// so every label stays with its features.
std::tuple<torch::Tensor, torch::Tensor> shuffle(const torch::Tensor& x, const torch::Tensor& y,
                                                 const torch::Tensor& perm);

// train_x: [N_train, F], val_x: [N_val, F], same dtype. Standardises both splits with the statistics of the
// training split only: per feature column, (x - mean) / std, with the mean and the population std
// (unbiased = false) of the columns of train_x. Returns {standardised train_x, standardised val_x}, same dtype.
std::tuple<torch::Tensor, torch::Tensor> standardise_splits(const torch::Tensor& train_x, const torch::Tensor& val_x);

// The minibatches of one epoch. order: [N] int64, the training rows in this epoch's order. Batch b holds
// order[b * batch_size, min((b + 1) * batch_size, N)): ceil(N / batch_size) batches, every row in exactly one
// of them, all of batch_size rows but the last, which holds what is left over (it is kept, however small).
// Returns the batches' row indices (int64), in order.
std::vector<torch::Tensor> batches(const torch::Tensor& order, int64_t batch_size);

struct TrainConfig {
  int64_t num_classes = 4;
  int64_t num_train = 200;  // the first num_train rows after the shuffle are the training split, the rest validation
  int64_t batch_size = 16;
  double lr = 0.02;
};

// Per epoch (index = epoch), measured after the epoch's last update on the whole split: the mean cross-entropy
// and the accuracy (the fraction of rows whose argmax logit, the lowest class on ties, is the label).
struct History {
  std::vector<double> train_loss, val_loss;
  std::vector<double> train_accuracy, val_accuracy;
  torch::Tensor weight, bias;  // the final parameters: [F, C] and [C], detached
};

// The whole experiment, softmax regression (logits = x @ weight + bias) trained by minibatch SGD:
//  1. {x, y} = shuffle(x, y, split_perm); split_perm: [N] int64.
//  2. The first cfg.num_train rows are the training split, the rest (at least one row) the validation split;
//     standardise_splits(training features, validation features).
//  3. weight [F, cfg.num_classes] and bias [cfg.num_classes] start at zero, in the dtype of x.
//  4. epoch_perms: [epochs, num_train] int64, one permutation of the training rows per epoch. Epoch e visits
//     batches(epoch_perms[e], cfg.batch_size) in order; for each batch, loss = mean cross-entropy over its rows,
//     then weight -= cfg.lr * d loss / d weight and bias -= cfg.lr * d loss / d bias (plain SGD).
//  5. After every epoch, the History entries of both splits (computed without updating anything).
// x, y, split_perm and epoch_perms are left unchanged.
History train(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& split_perm,
              const torch::Tensor& epoch_perms, const TrainConfig& cfg);

}  // namespace kata

#endif

// The flat_validation contract across the trust boundary (see harness/host/binding.h).
#include "flat_validation.h"

#include "binding.h"

namespace kata_flat_validation {
using TensorPair = std::tuple<torch::Tensor, torch::Tensor>;
}

KATA_BIND_STRUCT(kata::TrainConfig, c.num_classes, c.num_train, c.batch_size, c.lr);
KATA_BIND_STRUCT(kata::History, c.train_loss, c.val_loss, c.train_accuracy, c.val_accuracy, c.weight, c.bias);

KATA_BIND_FUNCTION(kata_flat_validation::TensorPair, shuffle,
                   (const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& perm), (x, y, perm))
KATA_BIND_FUNCTION(kata_flat_validation::TensorPair, standardise_splits,
                   (const torch::Tensor& train_x, const torch::Tensor& val_x), (train_x, val_x))
KATA_BIND_FUNCTION(std::vector<torch::Tensor>, batches, (const torch::Tensor& order, int64_t batch_size),
                   (order, batch_size))
KATA_BIND_FUNCTION(kata::History, train,
                   (const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& split_perm,
                    const torch::Tensor& epoch_perms, const kata::TrainConfig& cfg),
                   (x, y, split_perm, epoch_perms, cfg))

// Contract for the train_eval_modes exercise. Do not edit: the hidden tests are built against it.
#ifndef KATA_TRAIN_EVAL_MODES_H
#define KATA_TRAIN_EVAL_MODES_H

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace kata {

// ---- The model (given: the judge builds the same one; nothing to change here).
//
// ProbeNet: Linear(in_features, hidden) -> BatchNorm1d(hidden) -> ReLU -> Dropout(p) -> Linear(hidden, classes),
// returning logits [N, classes]. Like any torch::nn model it behaves differently in training mode
// (model->train(): the batch norm normalises with the batch's statistics and updates its running statistics,
// the dropout zeroes activations) and in evaluation mode (model->eval(): running statistics, no dropout).
//
// Its dropout draws its masks from a generator of its own, so that runs are reproducible: mask number k
// (counted by the buffer drop.draws) comes from at::make_generator<at::CPUGeneratorImpl>(seed * 1000003 + k).
// A forward pass in training mode that was not meant to be one uses up a mask, and every later mask changes.
//
// The model also keeps a record of how it was used, in buffers (int64, 0-dim), so the judge can see it:
//   forwards_train  forward calls in training mode           forwards_eval  forward calls in evaluation mode
//   forwards_graph  forward calls that recorded an autograd graph (torch::GradMode::is_enabled() was true)
//   graphs_kept     at each forward call, the number of autograd graphs of earlier forward calls that were
//                   still alive, beyond the most recent one, summed over the calls. A loop that drops each
//                   step's graph when the step is done keeps this at 0; one that keeps old graphs reachable
//                   (from a tensor that lives on) makes it grow every step.
struct ProbeDropoutImpl : torch::nn::Module {
  ProbeDropoutImpl(double p, int64_t seed) : p(p), seed(seed) {
    draws = register_buffer("draws", torch::zeros({}, torch::kInt64));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (!is_training() || p == 0.0) return x;
    const auto k = static_cast<uint64_t>(draws.item<int64_t>());
    auto generator = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed) * 1000003ULL + k);
    {
      torch::NoGradGuard no_grad;
      draws.add_(1);
    }
    auto keep = torch::rand(x.sizes(), generator, torch::TensorOptions().dtype(x.scalar_type())).ge(p);
    return x * keep.to(x.scalar_type()) / (1.0 - p);
  }

  double p;
  int64_t seed;
  torch::Tensor draws;  // buffer: masks drawn so far
};
TORCH_MODULE(ProbeDropout);

struct ProbeNetImpl : torch::nn::Module {
  ProbeNetImpl(int64_t in_features, int64_t hidden, int64_t classes, double p, int64_t seed)
      : in_features(in_features), hidden(hidden), classes(classes), p(p), seed(seed) {
    fc1 = register_module("fc1", torch::nn::Linear(in_features, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
    drop = register_module("drop", ProbeDropout(p, seed));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, classes));
    for (auto* b : {&forwards_train, &forwards_eval, &forwards_graph, &graphs_kept})
      *b = torch::zeros({}, torch::kInt64);
    register_buffer("forwards_train", forwards_train);
    register_buffer("forwards_eval", forwards_eval);
    register_buffer("forwards_graph", forwards_graph);
    register_buffer("graphs_kept", graphs_kept);
  }

  // x: [N, in_features] in the model's dtype (N >= 2 in training mode) -> logits [N, classes]
  torch::Tensor forward(const torch::Tensor& x) {
    record();
    auto out = fc2(drop(torch::relu(bn(fc1(x)))));
    if (out.grad_fn()) graphs_.push_back(out.grad_fn());
    return out;
  }

  int64_t in_features, hidden, classes;
  double p;
  int64_t seed;
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  ProbeDropout drop{nullptr};
  torch::Tensor forwards_train, forwards_eval, forwards_graph, graphs_kept;  // buffers: the record

 private:
  void record() {
    const bool recording = torch::GradMode::is_enabled();
    graphs_.erase(std::remove_if(graphs_.begin(), graphs_.end(), [](const auto& g) { return g.expired(); }),
                  graphs_.end());
    const auto alive = static_cast<int64_t>(graphs_.size());
    torch::NoGradGuard no_grad;
    (is_training() ? forwards_train : forwards_eval).add_(1);
    if (recording) forwards_graph.add_(1);
    graphs_kept.add_(std::max<int64_t>(0, alive - 1));
  }
  std::vector<std::weak_ptr<torch::autograd::Node>> graphs_;  // the graph of each earlier forward call
};
TORCH_MODULE(ProbeNet);

// ---- The program (what you fix). Loss everywhere: cross-entropy of the logits against labels y (int64 in
// [0, classes)). Rows are taken in order, in batches: batch b is rows [b * batch_size, min((b + 1) * batch_size, N)).
// x: [N, in_features] in the model's dtype (float32 or float64), any strides; x and y are not modified.

// One epoch of training, whatever mode the model is in when called (it is called after validation passes):
// model->train(), then for each batch in order: zero the gradients, loss = mean cross-entropy of the batch,
// backward, and one SGD step p -= lr * p.grad for every parameter (no momentum, no weight decay: exactly
// torch::optim::SGD(model->parameters(), lr)). No autograd graph may outlive its step.
// Returns the mean of the batch losses (each computed before its step), as a double.
// The callers guarantee that every batch has at least 2 rows.
double train_epoch(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, double lr);

// Validation: model->eval() and no autograd graph (torch::NoGradGuard or torch::InferenceMode), in batches of
// batch_size rows (or any other batches: in evaluation mode the batching does not change the result).
// Returns the mean cross-entropy over all N rows (the sum of the per-row losses / N). Parameters, running
// statistics and dropout draws stay as they were; the mode the model is left in is up to you (train_epoch sets
// its own).
double evaluate(ProbeNet& model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size);

struct FitConfig {
  int64_t epochs = 3;
  int64_t batch_size = 16;
  double lr = 0.1;
};
struct History {
  std::vector<double> train_loss;  // per epoch: what train_epoch returned
  std::vector<double> val_loss;    // per epoch: what evaluate returned right after that epoch
};
// For each epoch: train_epoch(model, x_train, y_train, batch_size, lr), then
// evaluate(model, x_val, y_val, batch_size). Trains `model` in place.
History fit(ProbeNet& model, const torch::Tensor& x_train, const torch::Tensor& y_train, const torch::Tensor& x_val,
            const torch::Tensor& y_val, const FitConfig& cfg);

}  // namespace kata

#endif

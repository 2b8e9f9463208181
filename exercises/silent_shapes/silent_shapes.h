// Contract for the silent_shapes exercise. Do not edit: the hidden tests are built against it.
// The colleague's program (silent_shapes.cpp), once fixed, must do exactly this. Every function takes and
// returns tensors in the dtype it is given (float32 or float64); none may modify its inputs, any input may be a
// non-contiguous view.
#ifndef KATA_SILENT_SHAPES_H
#define KATA_SILENT_SHAPES_H

#include <torch/torch.h>

#include <vector>

namespace kata {

// x: [N, C, T], the readings as recorded, channels first (sensor c of example n at time step t is x[n][c][t]).
// Returns [N, T, C], time major: out[n][t][c] = x[n][c][t]. Differentiable (gradients reach x).
torch::Tensor to_time_major(const torch::Tensor& x);

// The [T, T] causal exponential-smoothing weights (T >= 1, 0 < decay < 1), float64:
//   k[t][j] = decay^(t - j) for j <= t, 0 for j > t;   K[t][j] = k[t][j] / (sum over j' of k[t][j'])
// so that every row sums to 1 and smoothed[t] = sum over j of K[t][j] * signal[j] is a weighted average of the
// steps 0..t, the most recent weighted most.
torch::Tensor smoothing_kernel(int64_t T, double decay);

// features: [N, F], N >= 2, one example per row, no constant column. Returns [N, F], every column standardised
// over the N examples:  out[n][f] = (features[n][f] - mean_f) / std_f, with mean_f and the population std_f
// (divided by N, not N - 1) of column f. No epsilon.
torch::Tensor standardise(const torch::Tensor& features);

// pred: [N, 1] (the model's output column), target: [N], N >= 1. Returns the 0-dim mean squared error
//   (1 / N) * sum over n of (pred[n][0] - target[n])^2
// Differentiable (gradients reach pred and target).
torch::Tensor mse(const torch::Tensor& pred, const torch::Tensor& target);

// x: [N, C, T], N >= 2. The model's input features, [N, C]: the smoothed reading of every channel at the last
// time step, standardised over the examples:
//   smoothed = matmul(smoothing_kernel(T, decay) in x's dtype, to_time_major(x))   [N, T, C]
//   features = standardise(smoothed[:, T - 1, :])                              [N, C]
torch::Tensor make_features(const torch::Tensor& x, double decay);

struct FitResult {
  std::vector<double> losses;  // `steps` entries: the loss of every step, before that step's update
  torch::Tensor weight;        // [C, 1] after the last update, x's dtype
  torch::Tensor bias;          // [1] after the last update, x's dtype
};

// The program: linear regression pred = matmul(features, weight) + bias ([N, 1]) on features =
// make_features(x, decay), weight and bias starting at zero, trained on targets y ([N], x's dtype) by full-batch
// gradient descent for `steps` steps:
//   loss = mse(pred, y);  weight -= lr * d loss / d weight;  bias -= lr * d loss / d bias
// (the gradients of this step only). Returns every step's loss and the final weight and bias.
FitResult fit(const torch::Tensor& x, const torch::Tensor& y, double decay, int64_t steps, double lr);

}  // namespace kata

#endif

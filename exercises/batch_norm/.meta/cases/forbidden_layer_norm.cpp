// expect: forbidden_call
// why: with x moved to [C, N * L], layer_norm over the last dim normalises every channel over its own values: a transposed LayerNorm computes BatchNorm's per-channel statistics
#include "batch_norm.h"

namespace kata {

BatchNorm1dImpl::BatchNorm1dImpl(int64_t num_features, double eps, double momentum)
    : num_features(num_features), eps(eps), momentum(momentum) {
  weight = register_parameter("weight", torch::ones({num_features}));
  bias = register_parameter("bias", torch::zeros({num_features}));
  running_mean = register_buffer("running_mean", torch::zeros({num_features}));
  running_var = register_buffer("running_var", torch::ones({num_features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor BatchNorm1dImpl::forward(const torch::Tensor& x) {
  const int64_t C = x.size(1);
  auto as_one_sample = x.transpose(0, 1).reshape({1, C, -1});  // [1, C, N * L]

  if (is_training()) {
    torch::NoGradGuard no_grad;
    auto flat = as_one_sample.squeeze(0);  // [C, n]
    running_mean.mul_(1 - momentum).add_(flat.mean(/*dim=*/1), momentum);
    running_var.mul_(1 - momentum).add_(flat.var(/*dim=*/1), momentum);
    num_batches_tracked += 1;
  }

  auto bc = [&](const torch::Tensor& t) { return x.dim() == 3 ? t.view({1, -1, 1}) : t.view({1, -1}); };
  if (!is_training()) return (x - bc(running_mean)) * torch::rsqrt(bc(running_var) + eps) * bc(weight) + bc(bias);
  auto flat = as_one_sample.squeeze(0);  // [C, n]
  auto y = torch::layer_norm(flat, {flat.size(1)}, {}, {}, eps);

  // back to x's layout: [1, C, N * L] -> [C, N, (L)] -> [N, C, (L)]
  std::vector<int64_t> cn = {C, x.size(0)};
  if (x.dim() == 3) cn.push_back(x.size(2));
  return y.reshape(cn).transpose(0, 1) * bc(weight) + bc(bias);
}

}  // namespace kata

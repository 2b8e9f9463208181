// expect: forbidden_call
// why: transposed to [d, rows], every row of x becomes a channel, and batch_norm in training mode takes each channel's biased mean and variance over the d values: LayerNorm by another op
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t d = x.size(-1);
  auto columns = x.reshape({-1, d}).t();  // (d, N): channel n is row n of x
  auto normed = torch::batch_norm(columns, /*weight=*/{}, /*bias=*/{}, /*running_mean=*/{}, /*running_var=*/{},
                                  /*training=*/true, /*momentum=*/0.0, eps, /*cudnn_enabled=*/false);
  return normed.t().reshape(x.sizes()) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

// expect: forbidden_call
// why: instance_norm on [1, rows, d] normalises every (sample, channel) over its d values, which is each row of x on its own
#include "layer_norm.h"

namespace kata {

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias, double eps) {
  const int64_t d = x.size(-1);
  auto normed = torch::instance_norm(x.reshape({1, -1, d}), /*weight=*/{}, /*bias=*/{}, /*running_mean=*/{},
                                     /*running_var=*/{}, /*use_input_stats=*/true, /*momentum=*/0.0, eps,
                                     /*cudnn_enabled=*/false);
  return normed.reshape(x.sizes()) * weight + bias;
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps) * weight;
}

}  // namespace kata

// expect: accepted
// why: the leading dimensions are flattened into rows ([N, in], a 1-D x becomes one row) and restored at the end; the base is one addmm, the adapter scales the [N, rank] bottleneck (the cheapest place for the scale) before lora_B; merge is an in-place addmm_ under a NoGradGuard, and the constructor initialises the tensors before registering them frozen
#include "lora_linear.h"

#include <cmath>

namespace kata {

LoRALinearImpl::LoRALinearImpl(int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha)
    : rank(rank), alpha(alpha) {
  torch::NoGradGuard no_grad;
  auto w = torch::empty({out_features, in_features});
  torch::nn::init::kaiming_uniform_(w, std::sqrt(5.0));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = register_parameter("weight", w, /*requires_grad=*/false);
  bias = register_parameter("bias", torch::empty({out_features}).uniform_(-bound, bound), /*requires_grad=*/false);
  auto a = torch::empty({rank, in_features});
  torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));
  lora_A = register_parameter("lora_A", a);
  lora_B = register_parameter("lora_B", torch::zeros({out_features, rank}));
}

torch::Tensor LoRALinearImpl::forward(const torch::Tensor& x) {
  const int64_t in = weight.size(1), out = weight.size(0);
  auto rows = x.reshape({-1, in});                  // [N, in]
  auto y = torch::addmm(bias, rows, weight.t());    // [N, out]
  if (!merged) {
    const double scaling = static_cast<double>(alpha) / static_cast<double>(rank);
    auto down = rows.mm(lora_A.t()) * scaling;      // [N, rank]
    y = y + down.mm(lora_B.t());                    // [N, out]
  }
  auto shape = x.sizes().vec();
  shape.back() = out;
  return y.reshape(shape);
}

void LoRALinearImpl::merge() {
  if (merged) return;
  torch::NoGradGuard no_grad;
  weight.addmm_(lora_B, lora_A, /*beta=*/1, /*alpha=*/static_cast<double>(alpha) / static_cast<double>(rank));
  merged = true;
}

}  // namespace kata

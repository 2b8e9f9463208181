// expect: forbidden_call
// why: reaches LibTorch's fused attention through dlsym, so no symbol of it appears in the file: looking a
//      function up by name is refused in every exercise, with the reason
#include "causal_attention.h"

#include <dlfcn.h>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  using Fused = std::tuple<torch::Tensor, torch::Tensor> (*)(const torch::Tensor&, const torch::Tensor&,
                                                             const torch::Tensor&, const c10::optional<torch::Tensor>&,
                                                             double, bool, bool);
  auto fused = reinterpret_cast<Fused>(dlsym(RTLD_DEFAULT,  // at::_ops::_scaled_dot_product_attention::call
                                             "_ZN2at4_ops29_scaled_dot_product_attention4callERKNS_6TensorES4_S4_"
                                             "RKN3c108optionalIS2_EEdbb"));
  if (fused) return std::get<0>(fused(q, k, v, c10::nullopt, 0.0, false, /*is_causal=*/true));
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);
}
}  // namespace kata

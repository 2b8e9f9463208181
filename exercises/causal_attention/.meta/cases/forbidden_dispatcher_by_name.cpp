// expect: forbidden_call
// why: the fused op looked up by name through the dispatcher, so no at::_ops symbol appears in the file:
//      the lookup itself is what the judge refuses
#include "causal_attention.h"

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  auto op = c10::Dispatcher::singleton()
                .findSchemaOrThrow("aten::_scaled_dot_product_attention", "")
                .typed<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                                          const c10::optional<at::Tensor>&, double, bool, bool)>();
  return std::get<0>(op.call(q, k, v, c10::nullopt, 0.0, false, true));
}
}  // namespace kata

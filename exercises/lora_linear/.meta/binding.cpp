// The lora_linear contract across the trust boundary (see harness/host/binding.h).
#include "lora_linear.h"

#include "binding.h"

KATA_BIND_MODULE(LoRALinear, (int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha),
                 (in_features, out_features, rank, alpha))
KATA_BIND_METHOD(LoRALinear, torch::Tensor, forward, (const torch::Tensor& x), (x))
// merge() takes no argument: on the checker's side KATA_BIND_METHOD would expand to call_method(..., "()", )
// with a trailing comma, so that side is written out as the macro would write it, without the comma.
#if defined(KATA_CHECKER_SIDE)
torch::Tensor kata::LoRALinearImpl::merge() {
  return kata_remote::call_method<torch::Tensor>(*this, "LoRALinear.merge", "()");
}
#else
KATA_BIND_METHOD(LoRALinear, torch::Tensor, merge, (), ())
#endif

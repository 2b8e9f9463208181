// The lora_linear contract across the trust boundary (see harness/host/binding.h).
#include "lora_linear.h"

#include "binding.h"

KATA_BIND_MODULE(LoRALinear, (int64_t in_features, int64_t out_features, int64_t rank, int64_t alpha),
                 (in_features, out_features, rank, alpha))
KATA_BIND_METHOD(LoRALinear, torch::Tensor, forward, (const torch::Tensor& x), (x))
KATA_BIND_METHOD(LoRALinear, void, merge, (), ())

// The moe_router contract across the trust boundary (see harness/host/binding.h).
#include "moe_router.h"

#include "binding.h"

namespace kata_moe_router {
using TensorPair = std::tuple<torch::Tensor, torch::Tensor>;
}

KATA_BIND_FUNCTION(kata_moe_router::TensorPair, router_topk, (const torch::Tensor& x, const torch::Tensor& w_gate, int64_t k),
                   (x, w_gate, k))
KATA_BIND_FUNCTION(torch::Tensor, moe_forward,
                   (const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                    const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k),
                   (x, w_gate, w1, b1, w2, b2, k))
KATA_BIND_FUNCTION(torch::Tensor, load_balancing_loss,
                   (const torch::Tensor& router_logits, const torch::Tensor& experts, int64_t num_experts),
                   (router_logits, experts, num_experts))

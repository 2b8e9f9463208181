// The speculative_decoding contract across the trust boundary (see harness/host/binding.h).
#include "speculative_decoding.h"

#include "binding.h"

namespace kata_speculative_decoding {
using TensorPair = std::tuple<torch::Tensor, torch::Tensor>;
}

KATA_BIND_FUNCTION(torch::Tensor, acceptance_probability,
                   (const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft), (p, q, draft))
KATA_BIND_FUNCTION(torch::Tensor, residual_distribution, (const torch::Tensor& p, const torch::Tensor& q), (p, q))
KATA_BIND_FUNCTION(kata_speculative_decoding::TensorPair, speculative_accept,
                   (const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft,
                    const torch::Tensor& u_accept, const torch::Tensor& u_sample),
                   (p, q, draft, u_accept, u_sample))

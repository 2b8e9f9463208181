// The attention_backward contract across the trust boundary (see harness/host/binding.h).
#include "attention_backward.h"

#include "binding.h"

KATA_BIND_STRUCT(kata::AttentionGrads, c.dq, c.dk, c.dv);

KATA_BIND_FUNCTION(kata::AttentionGrads, attention_backward,
                   (const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                    const torch::Tensor& grad_out),
                   (q, k, v, causal, grad_out))

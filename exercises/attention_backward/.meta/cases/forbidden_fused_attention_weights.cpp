// expect: forbidden_call
// why: gets P from LibTorch 1.13's private fused attention (need_attn_weights) instead of recomputing it, then does the backward by hand: the values are right, but recomputing the probabilities is part of the exercise, so the judge rejects the op by the symbol it links to
#include "attention_backward.h"

#include <cmath>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto p = std::get<1>(at::_scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                                         /*need_attn_weights=*/true, /*is_causal=*/causal));
  auto dp = torch::matmul(grad_out, v.transpose(-2, -1));
  auto ds = p * (dp - (dp * p).sum(-1, /*keepdim=*/true));
  return {torch::matmul(ds, k) * scale, torch::matmul(ds.transpose(-2, -1), q) * scale,
          torch::matmul(p.transpose(-2, -1), grad_out)};
}

}  // namespace kata

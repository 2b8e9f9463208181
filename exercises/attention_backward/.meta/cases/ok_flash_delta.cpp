// expect: accepted
// why: FlashAttention's backward: P rebuilt from the row logsumexp (P = exp(S - lse)), and the softmax's row sum taken as delta_i = grad_out_i . out_i (sum_j P_ij dP_ij = grad_out_i . sum_j P_ij v_j); heads folded into the batch for bmm, the scale folded into q and k; the mask via where
#include "attention_backward.h"

#include <cmath>
#include <limits>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  auto q3 = q.reshape({B * H, T, D}), k3 = k.reshape({B * H, T, D});
  auto v3 = v.reshape({B * H, T, D}), g3 = grad_out.reshape({B * H, T, D});
  auto s = torch::bmm(q3 * scale, k3.transpose(1, 2));  // [BH, T, T]
  if (causal) {
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    s = torch::where(allowed, s, torch::full({}, -std::numeric_limits<double>::infinity(), q.options()));
  }
  auto lse = torch::logsumexp(s, 2, /*keepdim=*/true);  // what the forward would have saved
  auto p = torch::exp(s - lse);
  auto out = torch::bmm(p, v3);
  auto delta = (g3 * out).sum(2, /*keepdim=*/true);  // [BH, T, 1] = rowsum(P * dP)
  auto ds = p * (torch::bmm(g3, v3.transpose(1, 2)) - delta);
  auto dq = torch::bmm(ds, k3 * scale);
  auto dk = torch::bmm(ds.transpose(1, 2), q3 * scale);
  auto dv = torch::bmm(p.transpose(1, 2), g3);
  return {dq.reshape({B, H, T, D}), dk.reshape({B, H, T, D}), dv.reshape({B, H, T, D})};
}

}  // namespace kata

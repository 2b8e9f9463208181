// expect: accepted
// why: one (batch, head) at a time with 2-D mm, as on a whiteboard; softmax by hand, stably (row max subtracted, the dtype's lowest value as the mask), and the softmax backward written as its two terms P * dP - P * rowsum(P * dP); results joined with torch::stack
#include "attention_backward.h"

#include <cmath>
#include <limits>
#include <vector>

namespace kata {

AttentionGrads attention_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal,
                                  const torch::Tensor& grad_out) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const double lowest = q.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                                                           : std::numeric_limits<float>::lowest();
  auto future = torch::ones({T, T}, torch::kBool).triu(1);
  std::vector<torch::Tensor> dqs, dks, dvs;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      auto qh = q[b][h], kh = k[b][h], vh = v[b][h], gh = grad_out[b][h];  // [T, D]
      auto s = qh.mm(kh.t()) * scale;                                       // [T, T]
      if (causal) s = s.masked_fill(future, lowest);
      auto e = (s - std::get<0>(s.max(1, /*keepdim=*/true))).exp();
      auto p = e / e.sum(1, /*keepdim=*/true);
      auto dp = gh.mm(vh.t());
      auto pdp = p * dp;
      auto ds = pdp - p * pdp.sum(1, /*keepdim=*/true);
      dqs.push_back(ds.mm(kh) * scale);
      dks.push_back(ds.t().mm(qh) * scale);
      dvs.push_back(p.t().mm(gh));
    }
  }
  auto join = [&](const std::vector<torch::Tensor>& parts) { return torch::stack(parts).reshape({B, H, T, D}); };
  return {join(dqs), join(dks), join(dvs)};
}

}  // namespace kata

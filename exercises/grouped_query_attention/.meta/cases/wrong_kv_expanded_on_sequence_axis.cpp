// expect: wrong_answer GroupedQueryAttention.OutputFloat64
// mistake: llama's repeat_kv applied to [B, H, T, D] (copies made along the sequence axis)
// why: llama's repeat_kv expands a new axis after dim 2, the heads in its [B, T, H, D] layout but the positions in [B, H, T, D], so reshaping to [B, Hq, T, D] mixes positions into heads; expand after the heads: k.unsqueeze(2).expand({B, Hkv, group, T, D}).reshape({B, Hq, T, D})
#include "grouped_query_attention.h"

#include <cmath>
#include <limits>

namespace kata {

namespace {
// llama's repeat_kv, "torch.repeat_interleave(x, dim=2, repeats=n_rep)":
// x[:, :, :, None, :].expand(bs, slen, n_kv_heads, n_rep, head_dim).reshape(bs, slen, n_kv_heads * n_rep, head_dim)
torch::Tensor repeat_kv(const torch::Tensor& x, int64_t n_rep) {
  const int64_t bs = x.size(0), slen = x.size(1), n_kv_heads = x.size(2), head_dim = x.size(3);
  if (n_rep == 1) return x;
  return x.unsqueeze(3)
      .expand({bs, slen, n_kv_heads, n_rep, head_dim})
      .reshape({bs, slen, n_kv_heads * n_rep, head_dim});
}
}  // namespace

torch::Tensor gqa(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
  const int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t n_rep = Hq / k.size(1);
  auto k_rep = repeat_kv(k, n_rep).reshape({B, Hq, T, D});  // [B, Hkv, T * n_rep, D] -> [B, Hq, T, D]
  auto v_rep = repeat_kv(v, n_rep).reshape({B, Hq, T, D});
  auto scores = torch::matmul(q, k_rep.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
  if (causal) {
    auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
    scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v_rep);
}

}  // namespace kata

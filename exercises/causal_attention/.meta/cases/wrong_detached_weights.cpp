// expect: wrong_answer CausalAttention.GradientsQKV
// mistake: attention weights detached
// why: .detach() on the attention weights cuts q and k out of the graph: the forward values are right but no gradient reaches q or k; the mask needs no detach, masked positions already get zero gradient
#include "causal_attention.h"

#include <cmath>
#include <limits>

namespace kata {

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t T = q.size(-2);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  auto weights = torch::softmax(scores, -1).detach();  // the mask should not get gradients
  return torch::matmul(weights, v);
}

}  // namespace kata

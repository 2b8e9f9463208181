#include "moe_router.h"

namespace kata {

// Expert ids in sorted order: logit descending, equal logits by the lower index (a stable sort keeps index order).
static torch::Tensor sorted_experts(const torch::Tensor& logits) {
  return std::get<1>(logits.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true));  // (N, E)
}

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  auto logits = x.matmul(w_gate);                                                        // (N, E)
  auto experts = sorted_experts(logits).narrow(/*dim=*/-1, /*start=*/0, /*length=*/k);  // (N, k) int64
  auto weights = torch::softmax(logits.gather(/*dim=*/-1, experts), /*dim=*/-1);        // (N, k)
  return {weights, experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  auto [weights, experts] = router_topk(x, w_gate, k);  // (N, k), (N, k)
  auto out = torch::zeros_like(x);                      // (N, D)
  for (int64_t e = 0; e < w1.size(0); ++e) {
    auto hit = (experts == e);                                        // (N, k) at most one true per row
    auto tokens = hit.any(/*dim=*/-1).nonzero().squeeze(-1);          // (M,) the tokens routed to e
    if (tokens.numel() == 0) continue;                                // unused: no gradient reaches it but zero
    auto gate = (weights * hit).sum(/*dim=*/-1).index_select(0, tokens);  // (M,) this expert's weight
    auto xe = x.index_select(/*dim=*/0, tokens);                          // (M, D)
    auto ye = torch::relu(xe.matmul(w1[e]) + b1[e]).matmul(w2[e]) + b2[e];  // (M, D)
    out = out.index_add(/*dim=*/0, tokens, gate.unsqueeze(-1) * ye);         // (N, D)
  }
  return out;
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  auto counts = torch::bincount(experts.reshape(-1), /*weights=*/{}, /*minlength=*/num_experts);  // (E,)
  auto f = counts.to(router_logits.scalar_type()) / static_cast<double>(experts.numel());         // (E,) sums to 1
  auto P = torch::softmax(router_logits, /*dim=*/-1).mean(/*dim=*/0);                             // (E,)
  return num_experts * (f * P).sum();                                                            // ()
}

}  // namespace kata

// expect: wrong_answer MoeRouter.RouterGradients
// mistake: the routing computed under a NoGradGuard (the router weights are detached)
// why: "the top-k choice is discrete, so no gradient" is true of the indices only: the weights softmax(selected logits) are differentiable and are the router's only training signal (the task loss reaches w_gate through them); with them detached w_gate never learns and the load-balancing loss is useless; compute the logits and the softmax with autograd on, and let only the sort indices be constants
#include "moe_router.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  torch::NoGradGuard no_grad;  // routing is a discrete choice
  auto logits = x.matmul(w_gate);
  auto experts = std::get<1>(logits.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true)).narrow(-1, 0, k);
  auto weights = torch::softmax(logits.gather(-1, experts), -1);
  return {weights, experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  auto [weights, experts] = router_topk(x, w_gate, k);
  auto out = torch::zeros_like(x);
  for (int64_t e = 0; e < w1.size(0); ++e) {
    auto hit = experts == e;
    auto tokens = hit.any(-1).nonzero().squeeze(-1);
    if (tokens.numel() == 0) continue;
    auto gate = (weights * hit).sum(-1).index_select(0, tokens);
    auto xe = x.index_select(0, tokens);
    auto ye = torch::relu(xe.matmul(w1[e]) + b1[e]).matmul(w2[e]) + b2[e];
    out = out.index_add(0, tokens, gate.unsqueeze(-1) * ye);
  }
  return out;
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  auto counts = torch::bincount(experts.reshape(-1), {}, num_experts).to(router_logits.scalar_type());
  auto f = counts / static_cast<double>(experts.numel());
  auto P = torch::softmax(router_logits, -1).mean(0);
  return num_experts * (f * P).sum();
}

}  // namespace kata

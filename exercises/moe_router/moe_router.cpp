// Your solution: implement kata::router_topk, kata::moe_forward and kata::load_balancing_loss as README.md and
// moe_router.h describe. Judge it with: ./kata judge moe_router
#include "moe_router.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  // x: (N, D), w_gate: (D, E). TODO: logits = x w_gate; the k largest per row (ties to the lower index), in
  // order of logit descending; weights = softmax over the k selected logits
  const int64_t N = x.size(0);
  auto weights = torch::full({N, k}, 1.0 / k, x.options());            // TODO: replace with the router weights
  auto experts = torch::arange(k, x.options().dtype(torch::kInt64)).expand({N, k}).contiguous();  // TODO
  return {weights, experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  // x: (N, D). TODO: route with router_topk, run each token through its k experts
  // (relu(x w1[e] + b1[e]) w2[e] + b2[e]) and sum them weighted
  return torch::zeros_like(x);  // TODO: replace with the mixture's output
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  // router_logits: (N, E), experts: (N, k) int64. TODO: E * sum_e f_e * P_e
  return torch::ones({}, router_logits.options());  // TODO: replace with the loss
}

}  // namespace kata

// expect: accepted
// why: another formula, vectorised: the router takes the softmax over all E experts and renormalises the k gathered probabilities (the same weights as a softmax of the k logits); every expert runs on every token with einsum ([N, E, D], E times the work of a sparse dispatch), and a [N, E] combine matrix, zero for the experts a token did not choose, mixes them, so unchosen experts get exactly zero gradients; the aux loss counts assignments with one_hot
#include "moe_router.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  auto probs = torch::softmax(torch::einsum("nd,de->ne", {x, w_gate}), -1);
  auto experts = std::get<1>(probs.sort(/*stable=*/true, /*dim=*/1, /*descending=*/true)).slice(1, 0, k);
  auto top = probs.gather(1, experts);
  return {top / top.sum(1, /*keepdim=*/true), experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  auto [weights, experts] = router_topk(x, w_gate, k);
  auto h = torch::relu(torch::einsum("nd,edh->neh", {x, w1}) + b1);  // (N, E, H)
  auto y = torch::einsum("neh,ehd->ned", {h, w2}) + b2;               // (N, E, D)
  auto combine = torch::zeros({x.size(0), w1.size(0)}, x.options()).scatter(1, experts, weights);  // (N, E)
  return torch::einsum("ne,ned->nd", {combine, y});
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  auto assigned = torch::one_hot(experts, num_experts).to(router_logits.scalar_type());  // (N, k, E)
  auto f = assigned.sum(torch::IntArrayRef{0, 1}) / assigned.sum();
  auto P = torch::softmax(router_logits, 1).mean(0);
  return torch::dot(f, P) * static_cast<double>(num_experts);
}

}  // namespace kata

// expect: wrong_answer MoeRouter.ForwardFloat64
// mistake: the [E, N, D] stack of expert outputs reshaped to [N, E, D] instead of permuted (token and expert axes mixed up)
// why: reshape keeps the memory order, so row n of the result holds the outputs of some other (expert, token) pairs: tokens get other tokens' expert outputs; the shape is right and nothing throws (it is even right when N = 1); move an axis with permute(1, 0, 2) (or stack along dim 1), never with view or reshape
#include "moe_router.h"

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  auto logits = x.matmul(w_gate);
  auto experts = std::get<1>(logits.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true)).narrow(-1, 0, k);
  auto weights = torch::softmax(logits.gather(-1, experts), -1);
  return {weights, experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  auto [weights, experts] = router_topk(x, w_gate, k);
  const int64_t N = x.size(0), E = w1.size(0), D = x.size(1);
  auto all = torch::relu(x.matmul(w1) + b1.unsqueeze(1)).matmul(w2) + b2.unsqueeze(1);  // (E, N, D)
  auto per_token = all.reshape({N, E, D});
  auto chosen = per_token.gather(1, experts.unsqueeze(-1).expand({N, k, D}));          // (N, k, D)
  return (weights.unsqueeze(-1) * chosen).sum(1);
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  auto counts = torch::bincount(experts.reshape(-1), {}, num_experts).to(router_logits.scalar_type());
  auto f = counts / static_cast<double>(experts.numel());
  auto P = torch::softmax(router_logits, -1).mean(0);
  return num_experts * (f * P).sum();
}

}  // namespace kata

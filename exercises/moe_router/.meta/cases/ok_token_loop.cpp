// expect: accepted
// why: loops, as a first version on a whiteboard: the router picks k times the argmax of the logits still
// available (argmax returns the first maximum: ties to the lower index) and masks it with -inf, then softmaxes
// the gathered logits; the layer runs each token through its k experts one at a time and stacks the rows;
// the aux loss counts assignments with an accessor
#include "moe_router.h"

#include <limits>

namespace kata {

std::tuple<torch::Tensor, torch::Tensor> router_topk(const torch::Tensor& x, const torch::Tensor& w_gate,
                                                     int64_t k) {
  auto logits = torch::mm(x, w_gate);
  auto avail = logits.detach().clone();
  std::vector<torch::Tensor> picks;
  for (int64_t j = 0; j < k; ++j) {
    auto best = avail.argmax(1, /*keepdim=*/true);
    picks.push_back(best);
    avail.scatter_(1, best, -std::numeric_limits<double>::infinity());
  }
  auto experts = torch::cat(picks, 1);
  auto chosen = logits.gather(1, experts);
  auto w = (chosen - std::get<0>(chosen.max(1, true))).exp();
  return {w / w.sum(1, true), experts};
}

torch::Tensor moe_forward(const torch::Tensor& x, const torch::Tensor& w_gate, const torch::Tensor& w1,
                          const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2, int64_t k) {
  auto [weights, experts] = router_topk(x, w_gate, k);
  auto ids = experts.accessor<int64_t, 2>();
  std::vector<torch::Tensor> rows;
  for (int64_t n = 0; n < x.size(0); ++n) {
    torch::Tensor row;
    for (int64_t j = 0; j < k; ++j) {
      const int64_t e = ids[n][j];
      auto h = torch::clamp_min(torch::mv(w1[e].t(), x[n]) + b1[e], 0.0);
      auto y = torch::mv(w2[e].t(), h) + b2[e];
      row = j == 0 ? weights[n][j] * y : row + weights[n][j] * y;
    }
    rows.push_back(row);
  }
  return torch::stack(rows);
}

torch::Tensor load_balancing_loss(const torch::Tensor& router_logits, const torch::Tensor& experts,
                                  int64_t num_experts) {
  std::vector<double> counts(num_experts, 0.0);
  auto ids = experts.contiguous();
  auto acc = ids.accessor<int64_t, 2>();
  for (int64_t n = 0; n < ids.size(0); ++n)
    for (int64_t j = 0; j < ids.size(1); ++j) counts[acc[n][j]] += 1.0;
  auto P = torch::softmax(router_logits, -1).mean(0);
  auto loss = torch::zeros({}, router_logits.options());
  for (int64_t e = 0; e < num_experts; ++e) loss = loss + P[e] * (counts[e] / ids.numel());
  return loss * static_cast<double>(num_experts);
}

}  // namespace kata

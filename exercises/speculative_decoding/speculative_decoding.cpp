// Your solution: implement kata::acceptance_probability, kata::residual_distribution and kata::speculative_accept
// as README.md and speculative_decoding.h describe. Judge it with: ./kata judge speculative_decoding
#include "speculative_decoding.h"

namespace kata {

torch::Tensor acceptance_probability(const torch::Tensor& p, const torch::Tensor& q, const torch::Tensor& draft) {
  // p: (B, k + 1, V), q: (B, k, V), draft: (B, k). TODO: min(1, p[b, i, x_i] / q[b, i, x_i]); 1 where q <= p
  return torch::ones(draft.sizes(), p.options());  // TODO: replace with the acceptance probabilities
}

torch::Tensor residual_distribution(const torch::Tensor& p, const torch::Tensor& q) {
  // p, q: (..., V). TODO: max(0, p - q) normalised over the last dimension; p where that sums to 0
  return p.clone();  // TODO: replace with the residual distribution
}

std::tuple<torch::Tensor, torch::Tensor> speculative_accept(const torch::Tensor& p, const torch::Tensor& q,
                                                            const torch::Tensor& draft,
                                                            const torch::Tensor& u_accept,
                                                            const torch::Tensor& u_sample) {
  // TODO: accept while u_accept < acceptance probability, stop at the first rejection, then one token by inverse
  // CDF in vocabulary order: from the residual at the rejected position, or from p[:, k] after k acceptances.
  const int64_t B = draft.size(0), k = draft.size(1);
  auto tokens = torch::cat({draft, torch::zeros({B, 1}, draft.options())}, /*dim=*/1);  // TODO: (B, k + 1)
  auto n_accepted = torch::full({B}, k, draft.options());                                // TODO: (B,)
  return {tokens, n_accepted};
}

}  // namespace kata

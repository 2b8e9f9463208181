// expect: compile_error
// why: templates that instantiate 2^40 distinct types: the compile is stopped at its limit and says which
#include "causal_attention.h"

template <int N, long M>
struct Bomb {
  static constexpr long value = Bomb<N - 1, 2 * M>::value + Bomb<N - 1, 2 * M + 1>::value;
};
template <long M>
struct Bomb<0, M> {
  static constexpr long value = M;
};
static_assert(Bomb<40, 1>::value != 0);

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

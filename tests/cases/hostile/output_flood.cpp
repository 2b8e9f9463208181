// expect: runtime_error
// why: printing without end must be cut off without hanging or bloating the judge
#include "causal_attention.h"

#include <iostream>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  for (;;) std::cout << "debugging attention scores, step after step after step\n";
  return q;
}
}  // namespace kata

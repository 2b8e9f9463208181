// expect: runtime_error
// why: exiting with status 0 before any check runs must not look like success
#include "causal_attention.h"

#include <cstdlib>

namespace {
const int leave_early = [] {
  std::exit(0);
  return 0;
}();
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) { return q; }
}  // namespace kata

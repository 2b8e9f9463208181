// expect: runtime_error
// why: exiting with status 0 in the middle of the checks must not look like success
#include "causal_attention.h"

#include <cstdlib>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) { std::exit(0); }
}  // namespace kata

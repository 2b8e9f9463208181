// expect: runtime_error
// why: _exit(0) skips every destructor and atexit handler; still not a success
#include "causal_attention.h"

#include <unistd.h>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&) { _exit(0); }
}  // namespace kata

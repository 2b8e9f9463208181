// expect: forbidden_call
// why: torch::dropout is the exercise done for you (and draws from the global generator besides); the judge rejects the call by the symbol it links to
#include "dropout.h"

namespace kata {

torch::Tensor dropout(const torch::Tensor& x, double p, bool training, int64_t seed) {
  return torch::dropout(x, p, training);
}

}  // namespace kata

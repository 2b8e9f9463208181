// expect: wrong_answer CausalAttention.OutputFloat64
// why: tries to stop and kill its parent and every process it can see: in its own PID namespace there is
//      nothing else to signal, so it carries on and returns q, a wrong answer; the judge is untouched
#include "causal_attention.h"

#include <signal.h>
#include <unistd.h>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  kill(getppid(), SIGSTOP);
  kill(getppid(), SIGKILL);
  kill(-1, SIGKILL);
  return q;
}
}  // namespace kata

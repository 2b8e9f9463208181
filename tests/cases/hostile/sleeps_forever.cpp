// expect: time_limit_exceeded
// why: a hang that uses no CPU (a sleep, a deadlock) is stopped by the wall-clock limit
#include "causal_attention.h"

#include <chrono>
#include <thread>

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor&, const torch::Tensor&) {
  std::this_thread::sleep_for(std::chrono::hours(1));
  return q;
}
}  // namespace kata

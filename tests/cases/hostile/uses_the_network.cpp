// expect: accepted
// why: a correct solution that first looks for a network: finding any interface up beyond a closed
//      loopback would crash it, so acceptance shows the worker has none
#include "causal_attention.h"

#include <ifaddrs.h>
#include <net/if.h>

#include <cmath>
#include <cstdlib>

namespace {
bool network_visible() {
  ifaddrs* all = nullptr;
  if (getifaddrs(&all) != 0) return false;
  bool up = false;
  for (ifaddrs* i = all; i; i = i->ifa_next) up = up || (i->ifa_flags & IFF_UP);
  freeifaddrs(all);
  return up;
}
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  if (network_visible()) std::abort();
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  auto future = torch::ones({q.size(-2), q.size(-2)}, q.options().dtype(torch::kBool)).triu(1);
  return torch::matmul(torch::softmax(scores.masked_fill(future, -INFINITY), /*dim=*/-1), v);
}
}  // namespace kata

// expect: wrong_answer CausalAttention.OutputFloat64
// why: a wrong solution whose atexit handler overwrites the GoogleTest report with a pass: the worker
//      has no such environment and cannot see the checker's files
#include "causal_attention.h"

#include <cstdio>
#include <cstdlib>

namespace {
void forge() {
  const char* out = std::getenv("GTEST_OUTPUT");
  std::FILE* f = std::fopen(out ? out + 5 : "/tmp/report.json", "w");
  if (f) std::fputs("{\"testsuites\": []}", f), std::fclose(f);
}
const int registered = std::atexit(forge);
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

// expect: wrong_answer CausalAttention.OutputFloat64
// why: a wrong solution that overwrites GoogleTest's failure reporting in memory with a return: it can
//      only patch its own process, not the checker's
#include "causal_attention.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace {
const bool patched = [] {
  void* code = reinterpret_cast<void*>(&::testing::UnitTest::GetInstance);
  long page = sysconf(_SC_PAGESIZE);
  void* start = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(code) & ~(page - 1));
  if (mprotect(start, 2 * page, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) *static_cast<unsigned char*>(code) = 0xC3;
  return true;
}();
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

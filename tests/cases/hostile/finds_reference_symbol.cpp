// expect: wrong_answer CausalAttention.OutputFloat64
// why: looks the reference up by its symbol in every loaded object and calls it when found: the reference
//      lives only in the checker, never in the process that runs this file
#include "causal_attention.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>
#include <string>

namespace {
using Fn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&);
Fn find_reference() {
  Fn found = nullptr;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        void* handle = dlopen(info->dlpi_name[0] ? info->dlpi_name : nullptr, RTLD_NOW | RTLD_NOLOAD);
        if (!handle) return 0;
        for (const char* name : {"_ZN12_GLOBAL__N_19reference4kata16causal_attentionERKN2at6TensorES5_S5_",
                                 "_ZN9reference4kata16causal_attentionERKN2at6TensorES4_S4_"})
          if (void* f = dlsym(handle, name)) *static_cast<Fn*>(out) = reinterpret_cast<Fn>(f);
        return 0;
      },
      &found);
  return found;
}
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  if (Fn reference = find_reference()) return reference(q, k, v);
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);
}
}  // namespace kata

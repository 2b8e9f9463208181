// expect: wrong_answer CausalAttention.OutputFloat64
// why: looks the reference up by its symbol in every loaded object (walking their dynamic symbol tables
//      itself, since dlsym is refused) and calls it when found: the reference lives only in the checker,
//      never in the process that runs this file
#include "causal_attention.h"

#include <link.h>

#include <cstring>

namespace {
using Fn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&);

// An address from the dynamic section: glibc has made most absolute; the vDSO's are still offsets.
template <class T>
const T* at(const dl_phdr_info* info, ElfW(Addr) address) {
  return reinterpret_cast<const T*>(address < info->dlpi_addr ? info->dlpi_addr + address : address);
}

int search(dl_phdr_info* info, size_t, void* out) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
    const ElfW(Sym)* symbols = nullptr;
    const char* names = nullptr;
    ElfW(Xword) names_size = 0;
    for (auto* d = at<ElfW(Dyn)>(info, info->dlpi_phdr[i].p_vaddr); d->d_tag != DT_NULL; ++d) {
      if (d->d_tag == DT_SYMTAB) symbols = at<ElfW(Sym)>(info, d->d_un.d_ptr);
      if (d->d_tag == DT_STRTAB) names = at<char>(info, d->d_un.d_ptr);
      if (d->d_tag == DT_STRSZ) names_size = d->d_un.d_val;
    }
    // The symbols run up to the string table (other tables may sit between: their "names" are skipped).
    if (!symbols || !names || reinterpret_cast<const char*>(symbols) >= names) continue;
    for (auto* s = symbols; reinterpret_cast<const char*>(s + 1) <= names; ++s)
      if (s->st_value != 0 && s->st_name < names_size &&
          std::strstr(names + s->st_name, "reference4kata16causal_attention"))
        *static_cast<Fn*>(out) = reinterpret_cast<Fn>(info->dlpi_addr + s->st_value);
  }
  return 0;
}
}  // namespace

namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  Fn reference = nullptr;
  dl_iterate_phdr(search, &reference);
  if (reference) return reference(q, k, v);
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), /*dim=*/-1), v);  // no mask, no scale
}
}  // namespace kata

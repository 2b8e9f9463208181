// Linked into the lite PCH's runtime (cmake/PrecompileLite.cmake): the target of every LibTorch internal
// the PCH's object code refers to but LibTorch does not export. No solution reaches one (they belong to
// header code for the JIT and the like); if one ever does, it stops here with a message, not somewhere
// unrelated.
#include <cstdio>
#include <cstdlib>

extern "C" [[noreturn]] void kata_pch_unavailable() {
  std::fputs("a LibTorch internal that the judge's precompiled headers cannot call was called\n", stderr);
  std::abort();
}

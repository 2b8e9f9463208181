// The process that runs a learner's checks. The judge starts it before compiling, so that loading
// LibTorch (over half a second of static initialisation) overlaps the compile. It then reads from stdin
// the path of the compiled checks (the learner's file and the hidden tests, linked as a shared object),
// loads it, and runs every check. GoogleTest and the test helpers live here and are exported to it.
#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "kata_test.h"

namespace {

// The judge reads this exit code as "the checks could not be loaded": a symbol the learner's file
// should define, as the contract declares it, is missing.
constexpr int kLoadFailed = 97;

// "x.so: undefined symbol: _ZN4kata..." with the symbol demangled.
std::string readable(std::string error) {
  const std::string marker = "undefined symbol: ";
  auto at = error.find(marker);
  if (at == std::string::npos) return error;
  std::string symbol = error.substr(at + marker.size());
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                   &std::free);
  return "undefined symbol: " + (status == 0 ? std::string(name.get()) : symbol);
}

}  // namespace

int main(int argc, char** argv) {
  std::string checks;
  if (!std::getline(std::cin, checks) || checks.empty()) return 0;  // the compile failed: nothing to run
  if (!dlopen(checks.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    std::fprintf(stderr, "%s\n", readable(dlerror()).c_str());
    return kLoadFailed;
  }
  return kata_test::run_all_tests(argc, argv);
}

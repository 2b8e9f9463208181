// Turns a learner's file into loadable checks: compile it alone (clang, precompiled torch headers), then
// link it with the prebuilt hidden tests of its exercise into a shared object (lld) for the judge's test
// host to load. The recipes come from the build.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "catalogue.h"
#include "recipe.h"
#include "service.h"

namespace kata {

namespace fs = std::filesystem;

struct StepResult {
  bool ok = false;
  std::string diagnostics;  // for the learner: the first errors, at their file and line
  double seconds = 0;
  std::string note;  // e.g. that the precompiled header was stale and skipped
  bool stopped_by_limit = false;
  bool forbidden = false;  // it compiled, but calls what the exercise asks the learner to build
  bool served = false;     // by the compile service
};

// Said under an undefined symbol: the learner's definition does not match the contract's declaration.
extern const char* kContractHint;

// Both run the tools jailed: they see the toolchain, the precompiled headers, the contract, the learner's
// file and `out_dir` (where they write), nothing else of the project. A step stopped by a limit says which.
// `compile_service` is asked first (service.h: started when it is not running, for the next compile).
StepResult compile_source(const Recipe& recipe, const fs::path& source, const fs::path& object,
                          const fs::path& jail_root, service::Client& compile_service);
// Links the learner's object with the worker side of the binding; fails, naming the symbol, when the file
// does not define something of the contract, or uses one of the exercise's forbidden operations.
StepResult link_learner(const Recipe& recipe, const fs::path& object, const fs::path& shared_object,
                        const fs::path& jail_root, const std::vector<Forbidden>& forbidden);

}  // namespace kata

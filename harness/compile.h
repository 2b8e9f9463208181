// Turns a learner's file into what the judge's worker loads: compile it alone (clang, precompiled torch
// headers), then link it with the worker side of its exercise's binding into a shared object (lld), and
// read that object's symbols for what the contract needs and the exercise forbids. The recipes come from
// the build.
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
  bool linked = false;     // the compile service linked it too
};

// Said under an undefined symbol: the learner's definition does not match the contract's declaration.
extern const char* kContractHint;

// The compile and the link run the tools jailed: they see the toolchain, the precompiled headers, the
// contract, the learner's file and `out_dir` (where they write), nothing else of the project. A step
// stopped by a limit says which. `compile_service` is asked first (service.h: started when it is not
// running, for the next compile); it links the shared object too (the result says `linked`).
StepResult compile_source(const Recipe& recipe, const fs::path& source, const fs::path& object,
                          const fs::path& shared_object, const fs::path& jail_root, service::Client& compile_service);
// Links the learner's object with the worker side of the binding.
StepResult link_learner(const Recipe& recipe, const fs::path& object, const fs::path& shared_object,
                        const fs::path& jail_root);
// Fails, naming the symbol, when the linked file does not define something of the contract, or uses one of
// the exercise's forbidden operations.
StepResult check_shared_object(const Recipe& recipe, const fs::path& shared_object,
                               const std::vector<Forbidden>& forbidden);

}  // namespace kata

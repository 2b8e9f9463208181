// Turns a learner's file into loadable checks: compile it alone (clang, precompiled torch headers), then
// link it with the prebuilt hidden tests of its exercise into a shared object (lld) for the judge's test
// host to load. The recipes come from the build.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kata {

namespace fs = std::filesystem;

// <judge_dir>/toolchain.json and <judge_dir>/<id>/recipe.json, written by cmake/Judge.cmake in build/judge.
struct Recipe {
  std::string compiler;
  std::vector<std::string> flags;
  fs::path pch_lite, pch_full;
  fs::path shadow_dir;  // holds a torch/torch.h that includes only the lite subset
  std::vector<std::string> link;  // turns the learner's object and the hidden tests into a shared object
  fs::path host;                  // the program that loads that shared object and runs the checks
  fs::path include_dir;
  std::vector<std::string> objects;
  std::vector<std::string> checks;  // "Suite.Name" of every hidden check
};
// Throws std::runtime_error naming the missing piece when the build has not produced it.
Recipe load_recipe(const fs::path& judge_dir, const std::string& exercise);

struct StepResult {
  bool ok = false;
  std::string diagnostics;  // for the learner: the first errors, at their file and line
  double seconds = 0;
  std::string note;  // e.g. that the precompiled header was stale and skipped
};

// Said under an undefined symbol: the learner's definition does not match the contract's declaration.
extern const char* kContractHint;

StepResult compile_source(const Recipe& recipe, const fs::path& source, const fs::path& object);
StepResult link_checks(const Recipe& recipe, const fs::path& object, const fs::path& shared_object);

}  // namespace kata

// One judgement: compile the learner's file, link it with the hidden tests, run them under limits, decide.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "catalogue.h"
#include "compile.h"
#include "verdict.h"

namespace kata {

struct Judgement {
  std::string exercise;
  fs::path source;
  Verdict verdict = Verdict::runtime_error;
  std::vector<Check> checks;
  std::string message;  // compiler errors, or what ended the run
  std::string note;     // something the learner should know that is not about their code
  uint64_t seed = 0;
  double compile_seconds = 0, run_seconds = 0;
  bool served = false;  // the checks ran in a host forked by the judge service (not a fresh one)
  bool compile_served = false;  // the compile service compiled the file (not clang started for it)
  int64_t peak_memory_bytes = 0;  // of the learner's code; 0 when the kernel gives no cgroup
  int64_t memory_limit_bytes = 0;

  int checks_passed() const;
};

// Called with "compiling", "linking", "running" as each step starts.
using Progress = std::function<void(const std::string& step)>;

Judgement judge(const Recipe& recipe, const Exercise& exercise, const fs::path& source, uint64_t seed,
                const Progress& progress);
// The file compiled once and its checks run on each seed: how `kata dev check --seeds` proves a verdict
// does not depend on the inputs.
std::vector<Judgement> judge_seeds(const Recipe& recipe, const Exercise& exercise, const fs::path& source,
                                   const std::vector<uint64_t>& seeds, const Progress& progress);

uint64_t random_seed();

}  // namespace kata

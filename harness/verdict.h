// Decides the verdict from structured evidence only: how the test process ended, GoogleTest's JSON report,
// and its premature-exit file. A process that exits 0 without a complete report is not accepted.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sandbox.h"

namespace kata {

enum class Verdict { accepted, wrong_answer, compile_error, runtime_error, time_limit_exceeded, memory_limit_exceeded };
std::string to_string(Verdict v);

struct Check {
  std::string name;  // "Suite.Name"
  bool passed = false;
  std::string detail;   // why it failed: the case, the errors, a few values
  std::string meaning;  // what this check failing usually means
};

struct Outcome {
  Verdict verdict = Verdict::runtime_error;
  std::vector<Check> checks;  // every expected check, in order; those that never ran are failed
  std::string message;        // for runtime errors and limits: what happened
};

Outcome decide(const RunResult& run, const std::filesystem::path& report, const std::filesystem::path& premature_exit,
               const std::vector<std::string>& expected_checks, const Limits& limits);

}  // namespace kata

// Decides the verdict from structured evidence only, all of it written by the trusted checker: GoogleTest's
// JSON report of the hidden checks, and per check what the worker running the learner's code did (a limit
// crossed, a crash, an exception, its output). No text the learner's code produced decides anything.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sandbox.h"

namespace kata {

enum class Verdict {
  accepted,
  wrong_answer,
  compile_error,
  forbidden_call,  // compiles, but calls an operation the exercise asks the learner to build
  runtime_error,
  time_limit_exceeded,
  memory_limit_exceeded
};
std::string to_string(Verdict v);

// A wrong solution candidates really write, whose values the learner's match in a check.
struct Mistake {
  std::string id;    // "mask_hides_diagonal"
  std::string name;  // "mask hides the diagonal"
  std::string why;   // what goes wrong, and the fix
};

struct Check {
  std::string name;  // "Suite.Name"
  bool passed = false;
  std::string detail;                 // why it failed: the case, the errors, a few values
  std::optional<Mistake> mistake;     // the known mistake the learner's values match here
  std::vector<Mistake> also;          // others that match as well (the same values on these inputs)
  std::vector<std::string> findings;  // what the check noticed, the most specific first
  std::string failure;                // "" or the verdict the learner's code earned here ("runtime_error", ...)
  std::string output;                 // what the learner's code printed during this check (bounded)
};

struct Outcome {
  Verdict verdict = Verdict::runtime_error;
  std::vector<Check> checks;      // every expected check, in order; those that never ran are failed
  std::string message;            // for runtime errors and limits: what happened
  std::string protections;        // which parts of the sandbox the kernel refused, if any
  int64_t peak_memory_bytes = 0;  // the most the learner's code used at once (0 when not measured)
};

// `run` is how the checker process ended; `records` holds one JSON line per check from the checker.
Outcome decide(const RunResult& run, const std::filesystem::path& report, const std::filesystem::path& records,
               const std::vector<std::string>& expected_checks);

}  // namespace kata

#include "judge.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "sandbox.h"

namespace kata {
namespace {

// judge_host's exit code when the checks cannot be loaded: the learner's file lacks a contract symbol.
constexpr int kLoadFailed = 97;

// A fresh directory for one judgement's object, binary and report, removed however the judgement ends.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "kata-judge-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::vector<Check> not_run(const std::vector<std::string>& names, const std::string& why) {
  std::vector<Check> checks;
  for (const auto& n : names) checks.push_back({n, false, why, ""});
  return checks;
}

Limits test_limits(const Exercise& exercise) {
  Limits limits;
  limits.cpu_seconds = exercise.time_limit_seconds;
  limits.wall_seconds = exercise.time_limit_seconds * 1.5 + 1;
  return limits;
}

// Only what the tests need: no GTEST_* from the learner's shell can filter or repeat the checks.
std::map<std::string, std::string> test_environment(const ScratchDir& scratch, uint64_t seed) {
  return {{"KATA_SEED", std::to_string(seed)},
          {"GTEST_OUTPUT", "json:" + (scratch.path / "report.json").string()},
          {"TEST_PREMATURE_EXIT_FILE", (scratch.path / "premature_exit").string()},
          {"OMP_NUM_THREADS", "1"},
          {"MKL_NUM_THREADS", "1"},
          {"PATH", "/usr/bin:/bin"},
          {"HOME", scratch.path.string()}};
}

}  // namespace

int Judgement::checks_passed() const {
  return static_cast<int>(std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.passed; }));
}

uint64_t random_seed() { return std::random_device{}() % 1000000; }

Judgement judge(const Recipe& recipe, const Exercise& exercise, const fs::path& source, uint64_t seed,
                const Progress& progress) {
  Judgement j;
  j.exercise = exercise.id;
  j.source = source;
  j.seed = seed;
  ScratchDir scratch;
  Limits limits = test_limits(exercise);
  // Started first: it loads LibTorch on one core while the compiler works on the other.
  auto host = spawn({recipe.host.string(), "--gtest_color=no"}, test_environment(scratch, seed), limits);

  progress("compiling");
  auto compiled = compile_source(recipe, source, scratch.path / "learner.o");
  j.note = compiled.note;
  j.compile_seconds = compiled.seconds;
  if (compiled.ok) {
    progress("linking");
    auto linked = link_checks(recipe, scratch.path / "learner.o", scratch.path / "checks.so");
    j.compile_seconds += linked.seconds;
    compiled = linked;
  }
  if (!compiled.ok) {
    j.verdict = Verdict::compile_error;
    j.message = compiled.diagnostics;
    j.checks = not_run(recipe.checks, "not run: the file did not compile");
    return j;
  }

  progress("running");
  auto run = supervise(*host, (scratch.path / "checks.so").string() + "\n", limits);
  j.run_seconds = run.wall_seconds;
  if (run.exit_code == kLoadFailed) {
    j.verdict = Verdict::compile_error;
    j.message = run.err + kContractHint;
    j.checks = not_run(recipe.checks, "not run: the checks could not be loaded");
    return j;
  }
  auto outcome = decide(run, scratch.path / "report.json", scratch.path / "premature_exit", recipe.checks, limits);
  j.verdict = outcome.verdict;
  j.checks = outcome.checks;
  j.message = outcome.message;
  return j;
}

}  // namespace kata

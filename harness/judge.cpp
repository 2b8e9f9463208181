#include "judge.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "sandbox.h"

namespace kata {
namespace {

// Where runs live: one directory per judgement, named after the judge's pid so that a later judge can
// remove what a killed one left behind.
fs::path run_root() { return fs::temp_directory_path() / fmt::format("kata-runs-{}", getuid()); }

// A fresh directory for one judgement, removed however the judgement ends:
//   out/   what the jailed compiler and linker write, and what the worker loads (read-only there)
//   jail/  the empty directory each jail mounts its new root on
struct RunDir {
  fs::path path;
  RunDir() {
    fs::create_directories(run_root());
    clean_leftovers(run_root().string());
    std::string tmpl = (run_root() / fmt::format("{}-XXXXXX", getpid())).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
    path = tmpl;
    fs::create_directory(out());
    fs::create_directory(jail());
    chmod(out().c_str(), 0777);  // the jailed tools write as an unprivileged user
  }
  ~RunDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path out() const { return path / "out"; }
  fs::path jail() const { return path / "jail"; }
};

std::vector<Check> not_run(const std::vector<std::string>& names, const std::string& why) {
  std::vector<Check> checks;
  for (const auto& n : names) checks.push_back({n, false, why, {}, {}, {}, "", ""});
  return checks;
}

// The limits of the learner's code (enforced in the checker, on the worker), and a backstop for the whole
// test host, which also runs the reference and the comparisons.
struct RunLimits {
  double cpu, wall;
  int64_t memory;
};
RunLimits learner_limits(const Exercise& exercise) {
  return {exercise.time_limit_seconds, exercise.time_limit_seconds * 1.5 + 1,
          static_cast<int64_t>(exercise.memory_limit_mb) << 20};
}
Limits host_limits(const RunLimits& learner) {
  Limits limits;
  limits.cpu_seconds = learner.cpu + 60;
  limits.wall_seconds = learner.wall + 60;  // the worker's own limits end a hang long before this
  limits.memory_bytes = learner.memory + (4LL << 30);
  return limits;
}

// One run of the hidden checks, on one seed, with files of its own in the run directory.
struct SeedRun {
  fs::path report, record;
  SeedRun(const RunDir& run, size_t i)
      : report(run.path / fmt::format("report-{}.json", i)), record(run.path / fmt::format("record-{}.jsonl", i)) {}
};

// Only what the tests need: no GTEST_* from the learner's shell can filter or repeat the checks.
std::map<std::string, std::string> test_environment(const RunDir& run, uint64_t seed) {
  return {{"KATA_SEED", std::to_string(seed)},
          {"OMP_NUM_THREADS", "1"},
          {"MKL_NUM_THREADS", "1"},
          {"PATH", "/usr/bin:/bin"},
          {"HOME", run.path.string()}};
}

std::vector<std::string> host_command(const Recipe& recipe, const RunDir& run, const SeedRun& files,
                                      const RunLimits& l) {
  return {recipe.host.string(),
          "--checks",
          recipe.checks_library.string(),
          "--learner",
          (run.out() / "learner.so").string(),
          "--record",
          files.record.string(),
          "--cpu",
          fmt::format("{}", l.cpu),
          "--wall",
          fmt::format("{}", l.wall),
          "--memory",
          std::to_string(l.memory),
          "--root",
          run.jail().string(),
          "--ro",
          run.out().string(),
          "--mistakes",
          recipe.mistakes.string(),
          "--cases",
          recipe.cases.string(),
          "--ro",
          recipe.mistakes.string(),
          "--preload",
          recipe.pch_runtime.string(),
          "--ro",  // a worker started afresh after a crash loads it itself
          recipe.pch_runtime.string(),
          // On the command line, not in the environment: a host forked by the judge service has read
          // GoogleTest's environment once, when the service started.
          "--gtest_output=json:" + files.report.string(),
          "--gtest_color=no"};
}

}  // namespace

int Judgement::checks_passed() const {
  return static_cast<int>(std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.passed; }));
}

uint64_t random_seed() { return std::random_device{}() % 1000000; }

std::vector<Judgement> judge_seeds(const Recipe& recipe, const Exercise& exercise, const fs::path& source,
                                   const std::vector<uint64_t>& seeds, const Progress& progress) {
  Judgement first;
  first.exercise = exercise.id;
  first.source = source;
  RunDir run;
  RunLimits learner = learner_limits(exercise);
  first.memory_limit_bytes = learner.memory;
  Limits limits = host_limits(learner);
  service::Client service(recipe.host, recipe.pch_runtime, run_root());
  // A host forked by the judge service, which has LibTorch loaded already, or else a fresh one.
  auto start_host = [&](size_t i, bool served) {
    SeedRun files(run, i);
    auto command = host_command(recipe, run, files, learner);
    auto environment = test_environment(run, seeds[i]);
    auto host = served ? spawn_served(service, command, environment, limits) : nullptr;
    return host ? std::move(host) : spawn(command, environment, limits);
  };
  // Started first: LibTorch loads (or the service forks) and the worker is forked on one core while the
  // compiler works on the other.
  auto host = start_host(0, /*served=*/true);

  progress("compiling");
  service::Client compile_service(recipe.compile_service, recipe.pch_lite, run_root());
  const auto object = run.out() / "learner.o", shared_object = run.out() / "learner.so";
  auto compiled = compile_source(recipe, fs::absolute(source), object, shared_object, run.jail(), compile_service);
  first.note = compiled.note;
  first.compile_served = compiled.served;
  first.compile_seconds = compiled.seconds;
  if (compiled.ok && !compiled.linked) {
    progress("linking");
    compiled = link_learner(recipe, object, shared_object, run.jail());
    first.compile_seconds += compiled.seconds;
  }
  if (compiled.ok) compiled = check_shared_object(recipe, shared_object, exercise.forbidden);
  std::vector<Judgement> judgements;
  if (!compiled.ok) {
    first.verdict = compiled.forbidden ? Verdict::forbidden_call : Verdict::compile_error;
    first.message = compiled.diagnostics;
    first.checks = not_run(recipe.checks, compiled.forbidden ? "not run: the file calls what it should build"
                                                             : "not run: the file did not compile");
    for (uint64_t seed : seeds) {
      judgements.push_back(first);
      judgements.back().seed = seed;
    }
    return judgements;
  }

  // The file is compiled once; each seed gets a fresh test host.
  for (size_t i = 0; i < seeds.size(); ++i) {
    progress("running");
    if (i > 0) host = start_host(i, /*served=*/true);
    SeedRun files(run, i);
    Judgement j = first;
    j.seed = seeds[i];
    auto ran = supervise(*host, "run\n", limits);
    j.served = !ran.service_lost && host->served();
    if (ran.service_lost) {  // slower, never different: this seed again, on a fresh host
      fs::remove(files.report);
      fs::remove(files.record);
      ran = supervise(*start_host(i, /*served=*/false), "run\n", limits);
    }
    j.run_seconds = ran.wall_seconds;
    auto outcome = decide(ran, files.report, files.record, recipe.checks);
    j.verdict = outcome.verdict;
    j.checks = outcome.checks;
    j.message = outcome.message;
    j.peak_memory_bytes = outcome.peak_memory_bytes;
    if (!outcome.protections.empty()) j.note += (j.note.empty() ? "" : "\n") + outcome.protections;
    judgements.push_back(std::move(j));
  }
  return judgements;
}

Judgement judge(const Recipe& recipe, const Exercise& exercise, const fs::path& source, uint64_t seed,
                const Progress& progress) {
  return judge_seeds(recipe, exercise, source, {seed}, progress).front();
}

}  // namespace kata

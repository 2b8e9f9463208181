// The judge's test host: one program, two roles on either side of the trust boundary.
//
// Checker (trusted): started by the judge before it compiles, so that loading LibTorch overlaps the
// compile. It first forks the worker (below), then loads the hidden checks (the tests, the reference, the
// checker side of the binding), waits on stdin for the go-ahead and runs them. Every call of the
// learner's code goes to the worker; for each check it writes what the learner's code did (a failure, its
// output) and what the check found as a JSON line to --record. Then the checks that failed on values run
// again with each known mistake of the exercise (--mistakes) in the learner's place, and a line names the
// mistake each failure matches.
//
// Worker (untrusted): forked before the checks are loaded, so it never holds the reference; it enters the
// jail and serves calls with the learner's shared object. `--worker` starts a replacement after a worker
// died, exec'd fresh for the same reason.
//
// Service (trusted): `--serve SOCKET --stamp STAMP --idle SECONDS --preload RUNTIME` keeps this program
// running with LibTorch loaded and forks a checker for each judgement that asks (harness/service.h).
//
// `--preload RUNTIME`: the lite PCH's object code (cmake/PrecompileLite.cmake), which a learner's file
// compiled with that PCH is linked against. Loaded before the worker is forked, so the worker finds it
// loaded instead of spending ~40 ms on it.
#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "host/mistakes.h"
#include "host/session.h"
#include "kata_test.h"
#include "service.h"

namespace {

struct Args {
  bool worker = false, list = false;
  std::string checks, learner, record, mistakes, cases, preload;
  kata_remote::Limits limits;
  kata::JailSpec jail;
  std::vector<char*> rest;  // for GoogleTest
};

Args parse(int argc, char** argv) {
  Args a;
  a.rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--worker")
      a.worker = true;
    else if (arg == "--list")
      a.list = true;
    else if (arg == "--checks")
      a.checks = next();
    else if (arg == "--learner")
      a.learner = next();
    else if (arg == "--record")
      a.record = next();
    else if (arg == "--mistakes")
      a.mistakes = next();
    else if (arg == "--cases")
      a.cases = next();
    else if (arg == "--preload")
      a.preload = next();
    else if (arg == "--cpu")
      a.limits.cpu_seconds = std::stod(next());
    else if (arg == "--wall")
      a.limits.wall_seconds = std::stod(next());
    else if (arg == "--memory")
      a.limits.memory_bytes = std::stoll(next());
    else if (arg == "--root")
      a.jail.root_mountpoint = next();
    else if (arg == "--ro")
      a.jail.read_only.push_back(next());
    else
      a.rest.push_back(argv[i]);
  }
  return a;
}

// After every check: what the learner's code did during it and what the check found, as one JSON line.
class RecordChecks : public ::testing::EmptyTestEventListener {
 public:
  explicit RecordChecks(const std::string& path) : out_(path, std::ios::app) {}
  void OnTestStart(const ::testing::TestInfo&) override { kata_remote::Session::get().begin_check(); }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    auto r = kata_remote::Session::get().end_check();
    std::string name = std::string(info.test_suite_name()) + "." + info.name();
    nlohmann::json line = {{"check", name}, {"output", r.output}, {"output_cut", r.output_cut}};
    if (r.failure != kata_remote::Failure::none) {
      line["failure"] = kata_remote::failure_name(r.failure);
      line["message"] = r.message;
    } else if (info.result()->Failed()) {
      line["findings"] = kata_test::findings_to_show();
      const auto& seen = kata_test::evidence().observations;
      if (std::any_of(seen.begin(), seen.end(), [](const auto& o) { return o.failed; })) failed_[name] = seen;
    }
    write(line);
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    write({{"protections", kata_remote::Session::get().protections_note()},
           {"peak_memory", kata_remote::Session::get().peak_memory()}});
  }
  // The checks that failed on values, with what they observed.
  const kata_remote::Observed& failed() const { return failed_; }
  void write(const nlohmann::json& line) {
    out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
  }

 private:
  std::ofstream out_;
  kata_remote::Observed failed_;
};

// Which known mistake each failed check matches, one line each. GoogleTest's printers are removed first:
// the report of the learner's run is written and must stay as it is.
void name_mistakes(const Args& args, RecordChecks& recorder) {
  auto mistakes = kata_remote::known_mistakes(args.mistakes, args.cases);
  if (recorder.failed().empty() || mistakes.empty()) return;
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  delete listeners.Release(listeners.default_xml_generator());
  delete listeners.Release(listeners.default_result_printer());
  // Mistakes are trusted code; the limits only keep a slow one from holding up the verdict.
  kata_remote::Limits limits;
  limits.cpu_seconds = limits.wall_seconds = 5;
  // CPU seconds for all mistakes together; trying every one takes 0.07 (adamw's 20) to 0.24 (train_loop's 12).
  for (const auto& [check, matched] :
       kata_remote::match_mistakes(mistakes, recorder.failed(), limits, /*cpu_budget_seconds=*/3)) {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& m : matched) all.push_back({{"id", m.id}, {"name", m.name}, {"why", m.why}});
    recorder.write({{"mistakes_for", check}, {"matched", all}});
  }
}

// Local: the hidden checks, loaded later with RTLD_GLOBAL, keep binding to their own code. Through
// /proc/self/fd: the loader then knows this copy by its file (device and inode), not by its path, so a
// learner's file linked against a runtime rebuilt since gets that new file, never this stale copy. A
// failure shows where it matters, when the learner's file is loaded.
void preload(const std::string& runtime) {
  int fd = runtime.empty() ? -1 : open(runtime.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  dlopen(("/proc/self/fd/" + std::to_string(fd)).c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd);
}

}  // namespace

// The checker (or, with --worker, a replacement worker; with --list, the list of checks).
int host_main(int argc, char** argv) {
  Args args = parse(argc, argv);
  if (args.list) {  // the build's list of checks: no worker, no learner
    if (!dlopen(args.checks.c_str(), RTLD_NOW | RTLD_GLOBAL)) return 3;
    int n = static_cast<int>(args.rest.size());
    ::testing::InitGoogleTest(&n, args.rest.data());
    return RUN_ALL_TESTS();
  }
  if (args.worker) kata_remote::worker_main(kata_remote::kWorkerRpcFd, args.jail, args.limits);
  preload(args.preload);

  kata_remote::WorkerConfig config;
  config.learner_so = args.learner;
  config.jail = args.jail;
  config.limits = args.limits;
  config.host = std::filesystem::read_symlink("/proc/self/exe");
  kata_remote::Session::get().start(config);

  // Loaded while the learner's file compiles: the worker is forked already, so it never holds them.
  if (!dlopen(args.checks.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    std::fprintf(stderr, "cannot load the hidden checks: %s\n", dlerror());
    return 3;
  }
  std::string go;
  if (!std::getline(std::cin, go) || go != "run") return 0;  // the compile failed: nothing to run
  auto* recorder = new RecordChecks(args.record);
  ::testing::UnitTest::GetInstance()->listeners().Append(recorder);
  int gtest_argc = static_cast<int>(args.rest.size());
  int status = kata_test::run_all_tests(gtest_argc, args.rest.data());
  ::testing::UnitTest::GetInstance()->listeners().Release(recorder);
  if (!args.mistakes.empty()) name_mistakes(args, *recorder);
  delete recorder;
  // Not through the static destructors (LibTorch's take ~0.08 s of CPU, and nothing here needs them):
  // the worker is killed (not waited for), what was written is flushed, and the host leaves.
  kata_remote::Session::get().finish();
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}

int main(int argc, char** argv) {
  if (argc == 9 && std::string(argv[1]) == "--serve" && std::string(argv[3]) == "--stamp" &&
      std::string(argv[5]) == "--idle" && std::string(argv[7]) == "--preload") {
    preload(argv[8]);
    // Returns in each host the service forks.
    auto args = kata::service::serve(argv[2], argv[4], std::filesystem::read_symlink("/proc/self/exe"), argv[8],
                                     std::stod(argv[6]));
    std::vector<char*> host_argv;
    for (auto& a : args) host_argv.push_back(a.data());
    host_argv.push_back(nullptr);
    return host_main(static_cast<int>(args.size()), host_argv.data());
  }
  return host_main(argc, argv);
}

// The judge's test host: one program, two roles on either side of the trust boundary.
//
// Checker (trusted): started by the judge before it compiles, so that loading LibTorch overlaps the
// compile. It first forks the worker (below), then waits on stdin for the go-ahead, loads the hidden
// checks (the tests, the reference, the checker side of the binding) and runs them. Every call of the
// learner's code goes to the worker; for each check it writes what the learner's code did (a failure, its
// output) as a JSON line to --record.
//
// Worker (untrusted): forked before the checks are loaded, so it never holds the reference; it enters the
// jail and serves calls with the learner's shared object. `--worker` starts a replacement after a worker
// died, exec'd fresh for the same reason.
#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "host/session.h"
#include "kata_test.h"

namespace {

struct Args {
  bool worker = false, list = false;
  std::string checks, learner, record;
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

// After every check: what the learner's code did during it, as one JSON line.
class RecordChecks : public ::testing::EmptyTestEventListener {
 public:
  explicit RecordChecks(const std::string& path) : out_(path, std::ios::app) {}
  void OnTestStart(const ::testing::TestInfo&) override { kata_remote::Session::get().begin_check(); }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    auto r = kata_remote::Session::get().end_check();
    nlohmann::json line = {{"check", std::string(info.test_suite_name()) + "." + info.name()},
                           {"output", r.output},
                           {"output_cut", r.output_cut}};
    if (r.failure != kata_remote::Failure::none) {
      line["failure"] = kata_remote::failure_name(r.failure);
      line["message"] = r.message;
    }
    out_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    nlohmann::json end = {{"protections", kata_remote::Session::get().protections_note()},
                          {"peak_memory", kata_remote::Session::get().peak_memory()}};
    out_ << end.dump() << "\n" << std::flush;
  }

 private:
  std::ofstream out_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  if (args.list) {  // the build's list of checks: no worker, no learner
    if (!dlopen(args.checks.c_str(), RTLD_NOW | RTLD_GLOBAL)) return 3;
    int n = static_cast<int>(args.rest.size());
    ::testing::InitGoogleTest(&n, args.rest.data());
    return RUN_ALL_TESTS();
  }
  if (args.worker) kata_remote::worker_main(kata_remote::kWorkerRpcFd, args.jail, args.limits);

  kata_remote::WorkerConfig config;
  config.learner_so = args.learner;
  config.jail = args.jail;
  config.limits = args.limits;
  config.host = std::filesystem::read_symlink("/proc/self/exe");
  kata_remote::Session::get().start(config);

  std::string go;
  if (!std::getline(std::cin, go) || go != "run") return 0;  // the compile failed: nothing to run
  if (!dlopen(args.checks.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
    std::fprintf(stderr, "cannot load the hidden checks: %s\n", dlerror());
    return 3;
  }
  ::testing::UnitTest::GetInstance()->listeners().Append(new RecordChecks(args.record));
  int gtest_argc = static_cast<int>(args.rest.size());
  return kata_test::run_all_tests(gtest_argc, args.rest.data());
}

// run_limited on small shell and C++ programs: each limit ends the program with the right flag, output is
// kept within its cap, and nothing the program started is left running.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "sandbox.h"

namespace {

using kata::Limits;
using kata::run_limited;

const std::map<std::string, std::string> kEnv = {{"PATH", "/usr/bin:/bin"}};

Limits quick_limits() {
  Limits l;
  l.cpu_seconds = 2;
  l.wall_seconds = 3;
  l.memory_bytes = 200LL << 20;
  l.output_bytes = 1 << 20;
  l.kept_bytes = 1 << 10;
  return l;
}

TEST(Sandbox, ReportsExitCodeAndOutput) {
  auto r = run_limited({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, kEnv, quick_limits());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_FALSE(r.timed_out || r.memory_exceeded || r.output_exceeded);
}

TEST(Sandbox, PassesOnlyTheGivenEnvironment) {
  setenv("KATA_SANDBOX_LEAK", "leaked", 1);
  auto r = run_limited({"/bin/sh", "-c", "echo \"[$KATA_SANDBOX_LEAK][$ONLY]\""}, {{"ONLY", "given"}}, quick_limits());
  EXPECT_EQ(r.out, "[][given]\n");
}

TEST(Sandbox, StopsABusyLoopOnCpuTime) {
  auto r = run_limited({"/bin/sh", "-c", "while :; do :; done"}, kEnv, quick_limits());
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.wall_seconds, 5);
}

TEST(Sandbox, StopsASleepOnWallTime) {
  auto r = run_limited({"/bin/sleep", "60"}, kEnv, quick_limits());
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(r.wall_seconds, 3);
  EXPECT_LT(r.wall_seconds, 5);
}

TEST(Sandbox, StopsAProgramOverTheResidentMemoryLimit) {
  auto r = run_limited({TOUCH_MEMORY, "400"}, kEnv, quick_limits());  // 400 MiB against a 200 MiB limit
  EXPECT_TRUE(r.memory_exceeded) << "peak " << r.peak_rss_bytes;
  EXPECT_FALSE(r.timed_out);
}

TEST(Sandbox, CutsAnOutputFloodAndKeepsOnlyTheCap) {
  auto r = run_limited({"/usr/bin/yes", "flood"}, kEnv, quick_limits());
  EXPECT_TRUE(r.output_exceeded);
  EXPECT_TRUE(r.out_cut);
  EXPECT_EQ(r.out.size(), 1u << 10);
  EXPECT_LT(r.wall_seconds, 3);
}

TEST(Sandbox, ReportsTheSignalOfACrash) {
  auto r = run_limited({"/bin/sh", "-c", "kill -SEGV $$"}, kEnv, quick_limits());
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST(Sandbox, LeavesNoProcessBehind) {
  auto marker = std::filesystem::temp_directory_path() / ("kata-sandbox-" + std::to_string(getpid()));
  // The grandchild would write the marker after the program has exited, had it survived.
  auto r = run_limited({"/bin/sh", "-c", "(sleep 1; touch " + marker.string() + ") & exit 0"}, kEnv, quick_limits());
  EXPECT_EQ(r.exit_code, 0);
  sleep(2);
  EXPECT_FALSE(std::filesystem::exists(marker));
  std::filesystem::remove(marker);
}

TEST(Sandbox, ASpawnedProgramWaitsForItsInputAndItsClockStartsThen) {
  auto child = kata::spawn({"/bin/sh", "-c", "read line; sleep 1; echo \"got $line\""}, kEnv, quick_limits());
  sleep(3);  // longer than the wall limit: the wait before supervise does not count
  auto r = kata::supervise(*child, "hello\n", quick_limits());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "got hello\n");
}

TEST(Sandbox, AnUnsupervisedChildIsKilledWithItsGroup) {
  auto marker = std::filesystem::temp_directory_path() / ("kata-unsupervised-" + std::to_string(getpid()));
  {
    auto child = kata::spawn({"/bin/sh", "-c", "read line; touch " + marker.string()}, kEnv, quick_limits());
  }
  sleep(1);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Sandbox, SaysWhenAProgramCannotStart) {
  auto r = run_limited({"/nonexistent/program"}, kEnv, quick_limits());
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot execute"), std::string::npos);
}

}  // namespace

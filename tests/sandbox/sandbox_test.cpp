// run_limited on small shell and C++ programs: each limit ends the program with the right flag, output is
// kept within its cap, and nothing the program started is left running.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
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
  { auto child = kata::spawn({"/bin/sh", "-c", "read line; touch " + marker.string()}, kEnv, quick_limits()); }
  sleep(1);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Sandbox, SaysWhenAProgramCannotStart) {
  auto r = run_limited({"/nonexistent/program"}, kEnv, quick_limits());
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot execute"), std::string::npos);
}

// ---- The jail: what a contained program can see and do.

namespace fs = std::filesystem;

// A run directory with the empty mount point and a writable scratch, like the judge's.
struct JailDir {
  fs::path root = fs::temp_directory_path() / ("kata-jail-test-" + std::to_string(getpid()));
  JailDir() {
    fs::create_directories(root / "jail");
    fs::create_directories(root / "out");
    fs::permissions(root / "out", fs::perms::all);
  }
  ~JailDir() { fs::remove_all(root); }
  kata::JailSpec spec() const {
    kata::JailSpec s;
    s.root_mountpoint = (root / "jail").string();
    s.writable = (root / "out").string();
    s.read_only = {TOUCH_MEMORY};
    return s;
  }
};

kata::RunResult jailed(const std::string& script, const kata::JailSpec& spec) {
  return run_limited({"/bin/sh", "-c", script}, kEnv, quick_limits(), &spec);
}

TEST(Jail, SeesOnlyTheSystemAndItsOwnPaths) {
  JailDir dir;
  // A file of the host's /tmp and the project's sources are not there; the spec's paths are.
  fs::path marker = fs::temp_directory_path() / ("kata-marker-" + std::to_string(getpid()));
  std::ofstream(marker) << "host";
  auto r = jailed("ls " KATA_SOURCE_DIR "/exercises/rope/.meta || echo no-project; ls " + marker.string() +
                      " || echo no-host-tmp; ls " TOUCH_MEMORY " && ls " + dir.root.string() + "/out && echo sees-out",
                  dir.spec());
  fs::remove(marker);
  EXPECT_NE(r.out.find("no-project"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("no-host-tmp"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("sees-out"), std::string::npos) << r.out << r.err;
}

TEST(Jail, WritesOnlyToItsScratch) {
  JailDir dir;
  auto r = jailed(
      "touch /usr/kata-planted 2>/dev/null && echo wrote-usr; touch /kata-planted 2>/dev/null && echo "
      "wrote-root; touch " +
          dir.root.string() + "/out/ok && echo wrote-out; touch /tmp/ok && echo wrote-tmp",
      dir.spec());
  EXPECT_EQ(r.out, "wrote-out\nwrote-tmp\n") << r.err;
  EXPECT_TRUE(fs::exists(dir.root / "out" / "ok"));
  EXPECT_FALSE(fs::exists("/usr/kata-planted"));
}

TEST(Jail, HasNoNetworkNoOtherProcessesAndNoPrivileges) {
  JailDir dir;
  auto r = jailed(
      "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; ls /proc | grep -c '^[0-9]'; "
      "grep -E '^(Uid|CapEff|NoNewPrivs)' /proc/self/status",
      dir.spec());
  EXPECT_EQ(r.out.substr(0, 3), "lo\n") << "only a loopback, and it down: " << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
  if (geteuid() == 0) EXPECT_NE(r.out.find("Uid:\t65534"), std::string::npos) << r.out;
}

TEST(Jail, BoundsTheMemoryOfEveryProcessInIt) {
  JailDir dir;
  kata::Cgroup probe(1 << 30, 16);
  if (!probe.available()) GTEST_SKIP() << "no writable cgroup here: the judge polls memory instead";
  // A child of the shell fills 400 MiB against a 200 MiB limit: the cgroup stops it.
  auto r = jailed(std::string(TOUCH_MEMORY) + " 400; echo survived", dir.spec());
  EXPECT_TRUE(r.memory_exceeded) << r.out << r.err;
}

// What a check measures a learner's call by (kata_test::memory_rise): the high-water mark since reset_peak,
// which a process in the group that wrote 96 MiB raises, and the next reset forgets.
TEST(Jail, MeasuresTheMemoryOfOneStretch) {
  kata::Cgroup group(1 << 30, 16);
  if (!group.available() || !group.reset_peak()) GTEST_SKIP() << "no cgroup high-water mark to reset here";
  auto write_in_group = [&](size_t mib) {
    pid_t pid = fork();
    if (pid == 0) {
      group.add(getpid());
      auto* block = static_cast<volatile char*>(std::malloc(mib << 20));  // volatile: the writes must happen
      for (size_t i = 0; i < (mib << 20); i += 4096) block[i] = 1;
      _exit(0);
    }
    waitpid(pid, nullptr, 0);
  };
  // A few pages of slack: the kernel's per-CPU charge batches can settle in the middle of a stretch.
  int64_t before = group.memory_now();
  write_in_group(96);
  EXPECT_GE(group.peak_since_reset() - before, 88 << 20);
  ASSERT_TRUE(group.reset_peak());
  before = group.memory_now();
  write_in_group(8);
  EXPECT_GE(group.peak_since_reset() - before, 6 << 20);
  EXPECT_LT(group.peak_since_reset() - before, 48 << 20);
}

TEST(Jail, LeavesNothingRunning) {
  JailDir dir;
  auto r = jailed("(setsid sleep 300 &) ; echo started as pid $$", dir.spec());
  // In the jail's PID namespace the shell is 2 (its init is 1): without one, the sleep would escape it.
  EXPECT_EQ(r.out, "started as pid 2\n") << r.err;
  // The namespace's init ended with the shell, and the detached sleep with it. (Two CI runs found a sleep
  // 300 here; its status says where it lived.)
  std::string found;
  for (const auto& p : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(p.path() / "cmdline");
    std::string c;
    std::getline(cmdline, c, '\0');
    std::string arg;
    std::getline(cmdline, arg, '\0');
    if (c == "sleep" && arg == "300") {
      std::ifstream status(p.path() / "status");
      found = p.path().filename().string() + "\n" + std::string(std::istreambuf_iterator<char>(status), {});
    }
  }
  EXPECT_EQ(found, "");
}

}  // namespace

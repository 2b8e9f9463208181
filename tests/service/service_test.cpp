// The judge services (harness/service.h) through the judge's front door: a verdict from a served host is
// the verdict a fresh host gives, and a service that is absent, dead, killed mid-judgement, busy with
// another judge, built from another host program or rebuilt mid-judgement makes judging slower, never
// different. The same for the compile service (harness/compile_service.cpp), which also jails the file.
//
// Each test has a run directory of its own (TMPDIR), so its service is its own; TearDown kills it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "service.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kExercise = std::string(KATA_SOURCE_DIR) + "/exercises/causal_attention";
const std::string kReference = kExercise + "/.meta/reference.cpp";
const std::string kStub = kExercise + "/causal_attention.cpp";
const std::string kMistake = kExercise + "/.meta/cases/wrong_scale_by_d.cpp";
const std::string kHost = std::string(JUDGE_DIR) + "/judge_host";
const std::string kRuntime = std::string(JUDGE_DIR) + "/pch/liblite_pch.so";
const std::string kCompiler = std::string(JUDGE_DIR) + "/kata_cc";
const std::string kLitePch = std::string(JUDGE_DIR) + "/pch/lite.pch";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool eventually(const std::function<bool()>& condition, double seconds = 60) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class Service : public ::testing::Test {
 protected:
  fs::path workspace, tmp;

  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    workspace = fs::path(TEMP_WORKSPACE) / name;
    fs::remove_all(workspace);
    fs::create_directories(workspace);
    // Short (a socket's path has at most 107 bytes) and traversable by the jailed compiler's user.
    tmp = fs::path("/tmp") / ("kata-service-test-" + std::to_string(getpid()) + "-" + name.substr(0, 12));
    fs::remove_all(tmp);
    fs::create_directory(tmp);
    fs::permissions(tmp, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    for (pid_t pid : processes()) kill(pid, SIGKILL);
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
  }

  fs::path run_root() const { return tmp / ("kata-runs-" + std::to_string(getuid())); }
  std::string socket_of(const std::string& host) const {
    return (run_root() / ("service-" + kata::service::stamp_of(host, kRuntime) + ".sock")).string();
  }
  bool service_listening() const { return fs::exists(socket_of(kHost)); }
  bool compile_service_listening() const {
    return fs::exists(run_root() / ("service-" + kata::service::stamp_of(kCompiler, kLitePch) + ".sock"));
  }
  std::vector<pid_t> compile_service_processes() const {
    std::vector<pid_t> found;
    for (pid_t pid : processes())
      if (read_file("/proc/" + std::to_string(pid) + "/cmdline").find("kata_cc") != std::string::npos)
        found.push_back(pid);
    return found;
  }

  // The processes of this test's service: the service, and the reporters and hosts it forked (their
  // command line names the socket in this test's directory).
  std::vector<pid_t> processes() const {
    std::vector<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      pid_t pid = std::atoi(entry.path().filename().c_str());
      if (pid <= 0) continue;
      std::string cmdline = read_file(entry.path() / "cmdline");
      if (cmdline.find(tmp.string()) != std::string::npos) found.push_back(pid);
    }
    return found;
  }

  // A right solution that takes 2 s to load, so a test can act while its judgement runs.
  std::string slow_solution() const {
    fs::path slow = workspace / "slow.cpp";
    std::ofstream(slow) << read_file(kReference) << "\n#include <thread>\nnamespace {\nstruct Slow {\n"
                        << "  Slow() { std::this_thread::sleep_for(std::chrono::seconds(2)); }\n} slow;\n}\n";
    return slow.string();
  }

  // The judge pieces of causal_attention with a test host of their own (a copy), for a test that rebuilds
  // it: the judge uses the host this judge directory's toolchain.json names.
  fs::path judge_dir_with_own_host() {
    fs::path dir = workspace / "judge";
    fs::create_directories(dir / "causal_attention");
    fs::copy_file(fs::path(JUDGE_DIR) / "causal_attention" / "recipe.json", dir / "causal_attention" / "recipe.json");
    fs::copy_file(kHost, dir / "judge_host");
    json toolchain = json::parse(read_file(fs::path(JUDGE_DIR) / "toolchain.json"));
    toolchain["host"] = (dir / "judge_host").string();
    std::ofstream(dir / "toolchain.json") << toolchain.dump();
    return dir;
  }

  json judge(const std::string& source, const std::string& env = "") {
    std::string cmd = "TMPDIR='" + tmp.string() + "' " + env + " " + KATA_BINARY + " --workspace '" +
                      workspace.string() + "' judge causal_attention --seed 7 --json --source '" + source +
                      "' 2>/dev/null";
    FILE* pipe = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    pclose(pipe);
    json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
    return j.is_discarded() ? json{{"unparsed", out}} : j;
  }

  // A first judgement starts both services; they are listening once this returns.
  void start_service() {
    EXPECT_EQ(judge(kReference)["verdict"], "accepted");
    ASSERT_TRUE(eventually([&] { return service_listening(); })) << "no service came up in " << run_root();
    ASSERT_TRUE(eventually([&] { return compile_service_listening(); })) << "no compile service in " << run_root();
  }
};

// What a learner is told must not depend on which host ran the checks.
void expect_same_verdict(const json& fresh, const json& served) {
  EXPECT_EQ(served["verdict"], fresh["verdict"]);
  EXPECT_EQ(served["checks"], fresh["checks"]);
  EXPECT_EQ(served["message"], fresh["message"]);
}

TEST_F(Service, ServedVerdictsAreTheVerdictsOfAFreshHost) {
  start_service();
  for (const auto& source : {kReference, kStub, kMistake}) {
    json fresh = judge(source, "KATA_SERVICE=off");
    json served = judge(source);
    EXPECT_EQ(fresh["host"], "fresh") << source;
    EXPECT_EQ(served["host"], "service") << source;
    expect_same_verdict(fresh, served);
  }
  fs::path broken = workspace / "broken.cpp";
  std::ofstream(broken) << "int x = ;\n";
  json not_compiled = judge(broken.string());
  EXPECT_EQ(not_compiled["verdict"], "compile_error");
  EXPECT_EQ(not_compiled["host"], "none");  // no checks ran anywhere
}

TEST_F(Service, ADeadServiceIsReplaced) {
  start_service();
  for (pid_t pid : processes()) kill(pid, SIGKILL);
  ASSERT_TRUE(eventually([&] { return processes().empty(); }));
  ASSERT_TRUE(service_listening()) << "the dead service's socket stays behind: the test needs it to";
  json after = judge(kReference);  // connection refused: a fresh host, and a new service for next time
  EXPECT_EQ(after["verdict"], "accepted") << after.dump();
  EXPECT_EQ(after["host"], "fresh");
  ASSERT_TRUE(eventually([&] { return !processes().empty(); })) << "no new service was started";
  json served;  // a loaded machine takes seconds to start the service
  EXPECT_TRUE(eventually([&] { return (served = judge(kReference))["host"] == "service"; }, 180)) << served.dump();
  EXPECT_EQ(served["verdict"], "accepted");
}

// A service killed a moment ago still accepts while the kernel frees its memory, then drops the
// connection unanswered (seen in CI after ADeadServiceIsReplaced's kill): the judge starts another, as
// when nothing listens. Here a stand-in listens at the service's socket and closes what it accepts.
TEST_F(Service, AServiceThatDropsTheConnectionIsReplaced) {
  fs::create_directories(run_root());
  fs::permissions(run_root(), fs::perms::owner_all);
  int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_of(kHost).c_str());
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  std::thread dropper([&] {
    for (int conn; (conn = accept(listener, nullptr, nullptr)) >= 0;) close(conn);
  });
  json after = judge(kReference);
  EXPECT_EQ(after["verdict"], "accepted") << after.dump();
  EXPECT_EQ(after["host"], "fresh");
  auto host_services = [&] {
    int found = 0;
    for (pid_t pid : processes())
      found += read_file("/proc/" + std::to_string(pid) + "/cmdline").find("judge_host") != std::string::npos;
    return found;
  };
  EXPECT_TRUE(eventually([&] { return host_services() > 0; })) << "no new service was started";
  shutdown(listener, SHUT_RDWR);  // ends the accept
  close(listener);
  dropper.join();
}

TEST_F(Service, AServiceKilledMidJudgementCostsTimeNotTheVerdict) {
  start_service();
  // The service is killed while this judgement's served host waits for the slow file.
  auto running = std::async(std::launch::async, [&] { return judge(slow_solution()); });
  // The service, the reporter and the host it forked for this judgement.
  ASSERT_TRUE(eventually([&] { return processes().size() >= 3; }));
  for (pid_t pid : processes()) kill(pid, SIGKILL);
  json j = running.get();
  EXPECT_EQ(j["verdict"], "accepted") << j.dump();
  EXPECT_EQ(j["host"], "fresh");
}

TEST_F(Service, TwoJudgesAtOnceGetTheirOwnHosts) {
  start_service();
  auto right = std::async(std::launch::async, [&] { return judge(kReference); });
  auto wrong = std::async(std::launch::async, [&] { return judge(kMistake); });
  json r = right.get(), w = wrong.get();
  EXPECT_EQ(r["verdict"], "accepted");
  EXPECT_EQ(r["host"], "service");
  EXPECT_EQ(r["compiler"], "service");
  EXPECT_EQ(w["verdict"], "wrong_answer");
  EXPECT_EQ(w["host"], "service");
  EXPECT_EQ(w["compiler"], "service");
  expect_same_verdict(judge(kMistake, "KATA_SERVICE=off"), w);
}

// A build that relinks the host while a served judgement runs: that judgement ends as it began, the old
// service stops, and the next judgements get a fresh host, then a service of the new build.
TEST_F(Service, AHostRebuiltDuringAJudgementGetsANewService) {
  fs::path dir = judge_dir_with_own_host();
  const std::string env = "KATA_JUDGE_DIR='" + dir.string() + "'";
  fs::path host = dir / "judge_host";
  EXPECT_EQ(judge(kReference, env)["verdict"], "accepted");
  ASSERT_TRUE(eventually([&] { return fs::exists(socket_of(host)); }));
  std::string old_socket = socket_of(host);
  auto running = std::async(std::launch::async, [&] { return judge(slow_solution(), env); });
  ASSERT_TRUE(eventually([&] { return processes().size() >= 3; }));
  // As a linker writes its output: a new file renamed over the old one.
  fs::copy_file(kHost, dir / "judge_host.new");
  fs::last_write_time(dir / "judge_host.new", fs::last_write_time(host) + std::chrono::seconds(5));
  fs::rename(dir / "judge_host.new", host);
  json during = running.get();
  EXPECT_EQ(during["verdict"], "accepted") << during.dump();
  EXPECT_EQ(during["host"], "service");
  EXPECT_TRUE(eventually([&] { return !fs::exists(old_socket); }, 10)) << "the old service kept listening";
  json after = judge(kReference, env);
  EXPECT_EQ(after["verdict"], "accepted");
  EXPECT_EQ(after["host"], "fresh");
  EXPECT_TRUE(eventually([&] { return judge(kReference, env)["host"] == "service"; }));
}

// A service runs only the host program and runtime it was started from, unchanged: another build of
// either has another stamp.
TEST_F(Service, AServiceOfAnotherBuildIsNeverUsed) {
  fs::path other = tmp / "judge_host", other_runtime = tmp / "liblite_pch.so";
  fs::copy_file(kHost, other);
  fs::copy_file(kRuntime, other_runtime);
  ASSERT_NE(kata::service::stamp_of(other, kRuntime), kata::service::stamp_of(kHost, kRuntime));
  ASSERT_NE(kata::service::stamp_of(kHost, other_runtime), kata::service::stamp_of(kHost, kRuntime));
  auto serve = [&](const fs::path& host, const fs::path& runtime, const std::string& socket,
                   const std::string& stamp) {
    return host.string() + " --serve '" + socket + "' --stamp " + stamp + " --idle 60 --preload " + runtime.string();
  };
  // Started for the real host's socket and stamp from another program: it refuses to serve.
  fs::create_directories(run_root());
  std::string command = serve(other, kRuntime, socket_of(kHost), kata::service::stamp_of(kHost, kRuntime));
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 2);
  EXPECT_FALSE(service_listening());
  // A service of the copies stops when either is rebuilt (here: touched).
  for (const fs::path& rebuilt : {other, other_runtime}) {
    std::string stamp = kata::service::stamp_of(other, other_runtime);
    std::string own = (run_root() / ("service-" + stamp + ".sock")).string();
    ASSERT_EQ(std::system((serve(other, other_runtime, own, stamp) + " &").c_str()), 0);
    ASSERT_TRUE(eventually([&] { return fs::exists(own); }));
    fs::last_write_time(rebuilt, fs::last_write_time(rebuilt) + std::chrono::seconds(5));
    EXPECT_TRUE(eventually([&] { return !fs::exists(own); }, 10)) << "a stale service kept listening: " << rebuilt;
  }
}

// What the compile service makes of a file is what clang and lld make of it: the same verdict, checks and
// message (which for a file the lite PCH cannot compile comes from clang and the full PCH either way, and
// for a file the service compiled and could not link, from the judge's own link).
TEST_F(Service, TheCompileServiceCompilesAsClangDoes) {
  start_service();
  fs::path broken = workspace / "broken.cpp";
  std::ofstream(broken) << "#include \"causal_attention.h\"\nint x = ;\n";
  fs::path unlinkable = workspace / "unlinkable.cpp";
  std::ofstream(unlinkable) << read_file(kReference) << "\n#pragma comment(lib, \"kata_no_such_library\")\n";
  for (const auto& source : {kReference, kStub, kMistake, broken.string(), unlinkable.string()}) {
    json plain = judge(source, "KATA_SERVICE=off");
    json served = judge(source);
    EXPECT_EQ(plain["compiler"], "clang") << source;
    if (source != broken) EXPECT_EQ(served["compiler"], "service") << source;
    expect_same_verdict(plain, served);
  }
  json unlinked = judge(unlinkable.string());
  EXPECT_EQ(unlinked["verdict"], "compile_error");
  EXPECT_NE(unlinked["message"].get<std::string>().find("kata_no_such_library"), std::string::npos) << unlinked.dump();
}

// The file is parsed in the jail: a header beside it, outside what the compile may see, does not exist
// for it. (Unjailed, the #error fails that compile, and clang's, jailed, then compiles the file.)
TEST_F(Service, TheCompileServiceJailsTheFile) {
  start_service();
  fs::path secret = workspace / "secret.h";
  std::ofstream(secret) << "// the learner's home, say\n";
  fs::path peeks = workspace / "peeks.cpp";
  std::ofstream(peeks) << read_file(kReference) << "\n#if __has_include(\"" << secret.string()
                       << "\")\n#error the compiler sees outside its jail\n#endif\n";
  json j = judge(peeks.string());
  EXPECT_EQ(j["verdict"], "accepted") << j.dump();
  EXPECT_EQ(j["compiler"], "service");
}

TEST_F(Service, ADeadCompileServiceCostsTimeNotTheVerdict) {
  start_service();
  for (pid_t pid : compile_service_processes()) kill(pid, SIGKILL);
  ASSERT_TRUE(eventually([&] { return compile_service_processes().empty(); }));
  json after = judge(kReference);  // connection refused: clang compiles, a new service starts for next time
  EXPECT_EQ(after["verdict"], "accepted") << after.dump();
  EXPECT_EQ(after["compiler"], "clang");
  json served;
  EXPECT_TRUE(eventually([&] { return (served = judge(kReference))["compiler"] == "service"; }, 180))
      << served.dump();
  EXPECT_EQ(served["verdict"], "accepted");
}

// A build that relinks the compile service between two judgements: the next judgement is not compiled by
// the old service (clang compiles it), the old service stops, and one of the new build serves again.
TEST_F(Service, ACompileServiceRebuiltGetsANewService) {
  fs::path dir = judge_dir_with_own_host();
  fs::path compiler = dir / "kata_cc";
  fs::copy_file(kCompiler, compiler);
  json toolchain = json::parse(read_file(dir / "toolchain.json"));
  toolchain["compile_service"] = compiler.string();
  std::ofstream(dir / "toolchain.json") << toolchain.dump();
  const std::string env = "KATA_JUDGE_DIR='" + dir.string() + "'";
  auto socket = [&] { return run_root() / ("service-" + kata::service::stamp_of(compiler, kLitePch) + ".sock"); };
  EXPECT_EQ(judge(kReference, env)["verdict"], "accepted");
  ASSERT_TRUE(eventually([&] { return fs::exists(socket()); }));
  fs::path old_socket = socket();
  EXPECT_EQ(judge(kReference, env)["compiler"], "service");
  // As a linker writes its output: a new file renamed over the old one.
  fs::copy_file(kCompiler, dir / "kata_cc.new");
  fs::last_write_time(dir / "kata_cc.new", fs::last_write_time(compiler) + std::chrono::seconds(5));
  fs::rename(dir / "kata_cc.new", compiler);
  json after = judge(kReference, env);
  EXPECT_EQ(after["verdict"], "accepted");
  EXPECT_EQ(after["compiler"], "clang");
  EXPECT_TRUE(eventually([&] { return !fs::exists(old_socket); }, 10)) << "the old compile service kept listening";
  EXPECT_TRUE(eventually([&] { return judge(kReference, env)["compiler"] == "service"; }, 180));
}

// Started for another build's stamp (here the test host's), the compile service refuses to serve.
TEST_F(Service, ACompileServiceOfAnotherBuildIsNeverUsed) {
  fs::create_directories(run_root());
  std::string command = kCompiler + " --serve '" + socket_of(kHost) + "' --stamp " +
                        kata::service::stamp_of(kHost, kRuntime) + " --idle 60 --preload " + kLitePch;
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 2);
  EXPECT_FALSE(service_listening());
}

}  // namespace

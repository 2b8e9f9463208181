// The CLI through its front door: exit codes, messages, the workspace and the database, mock rounds.
// Each test gets a fresh workspace.
#include <fcntl.h>
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace {

struct Result {
  int exit_code;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A command on a pseudo-terminal (stdin, stdout and stderr), as a learner at a terminal would run it.
class Terminal {
 public:
  explicit Terminal(const std::string& command) {
    winsize size{50, 120, 0, 0};
    pid_ = forkpty(&fd_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // True once `text` appears in output not yet matched, within `seconds`.
  bool wait_for(const std::string& text, double seconds = 20) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (true) {
      if (auto at = output.find(text, matched_); at != std::string::npos) {
        matched_ = at + text.size();
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline || !read_some(100)) return false;
    }
  }
  void type(const std::string& keys) { ASSERT_EQ(write(fd_, keys.data(), keys.size()), ssize_t(keys.size())); }
  // Reads everything until the command exits; its exit code.
  int finish(double seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline && read_some(100)) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string output;

 private:
  // False at the end of the output (the pty reports EIO once the command has exited).
  bool read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) == 0) return true;
    char buf[4096];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output.append(buf, n);
    return true;
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  size_t matched_ = 0;
};

bool has_colour(const std::string& text) {  // an SGR sequence, ESC [ ... m
  for (size_t at = text.find("\033["); at != std::string::npos; at = text.find("\033[", at + 1))
    if (auto end = text.find_first_not_of("0123456789;", at + 2); end != std::string::npos && text[end] == 'm')
      return true;
  return false;
}

class Cli : public ::testing::Test {
 protected:
  fs::path workspace;

  void SetUp() override {
    workspace = fs::path(TEMP_WORKSPACE) / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(workspace);
    fs::create_directories(workspace);
  }

  Result kata(const std::string& args, const std::string& input = "", const std::string& env = "") {
    auto err_file = workspace / "stderr.txt";
    auto in_file = workspace / "stdin.txt";
    write_file(in_file, input);
    std::string cmd = env + KATA_BINARY + " --workspace '" + workspace.string() + "' " + args + " <'" +
                      in_file.string() + "' 2>'" + err_file.string() + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    int status = pclose(pipe);
    return {WEXITSTATUS(status), out, read_file(err_file)};
  }

  fs::path attempt(const std::string& id) { return workspace / "attempts" / (id + ".cpp"); }

  // An exercise's status in `kata list --json` (found by id: the list is alphabetical and grows).
  std::string status_of(const std::string& id) {
    auto list = kata("list --json").json();  // kept: a range-for over list["exercises"] of a temporary dangles
    for (const auto& e : list["exercises"])
      if (e["id"] == id) return e["status"].get<std::string>();
    return "missing";
  }

  std::string on_terminal(const std::string& args, const std::string& env = "") {
    return env + " exec " + KATA_BINARY + " --workspace '" + workspace.string() + "' " + args;
  }
};

// Columns on a terminal: UTF-8 code points, not bytes (the tables use "…" and the trends "▁▂▃").
size_t code_points(const std::string& line) {
  return std::count_if(line.begin(), line.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

void expect_fits_80_columns(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) EXPECT_LE(code_points(line), 80u) << line;
}

const std::string kSolution = std::string(KATA_SOURCE_DIR) + "/exercises/causal_attention/.meta/reference.cpp";
const std::string kStub = std::string(KATA_SOURCE_DIR) + "/exercises/causal_attention/causal_attention.cpp";

TEST_F(Cli, UnknownExerciseSuggestsTheClosest) {
  auto r = kata("judge causal_atention");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'causal_attention'?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exercises: "), std::string::npos) << r.err;
}

TEST_F(Cli, FirstJudgeCreatesTheAttemptFromTheStub) {
  auto r = kata("judge causal_attention --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.json()["verdict"], "accepted");
  EXPECT_EQ(read_file(attempt("causal_attention")), read_file(kStub));
  EXPECT_NE(r.err.find("created from the stub\n  " + attempt("causal_attention").string() + "\n"), std::string::npos)
      << r.err;
}

TEST_F(Cli, DevCheckJudgesOnlyTheFilesNamed) {
  auto r = kata("dev check --exercise causal_attention --file wrong_mask_tril,wrong_softmax_dim --seeds 1");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("wrong_mask_tril.cpp: wrong_answer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("wrong_softmax_dim.cpp: wrong_answer"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("reference.cpp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 passed, 0 failed"), std::string::npos) << r.out;
}

TEST_F(Cli, MissingSourceFileExitsWith2) {
  auto r = kata("judge causal_attention --source /nonexistent/file.cpp");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/file.cpp does not exist"), std::string::npos) << r.err;
}

TEST_F(Cli, BadFlagsAndMissingVerbExitWith2) {
  EXPECT_EQ(kata("judge causal_attention --sed 3").exit_code, 2);
  EXPECT_EQ(kata("judge causal_attention --seed notanumber").exit_code, 2);
  EXPECT_EQ(kata("").exit_code, 2);
  EXPECT_EQ(kata("frobnicate").exit_code, 2);
}

// With --json, a failure is a JSON object on stdout as well as a message on stderr, with the same exit code.
void expect_json_error(const Result& r, int exit_code, const std::string& says) {
  EXPECT_EQ(r.exit_code, exit_code) << r.err;
  EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  ASSERT_FALSE(r.out.empty()) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["exit_code"], exit_code);
  EXPECT_NE(j["error"].get<std::string>().find(says), std::string::npos) << j.dump();
}

TEST_F(Cli, JsonErrorsAreJsonOnStdout) {
  expect_json_error(kata("judge nosuch --json"), 2, "unknown exercise 'nosuch'");
  expect_json_error(kata("judge causal_attention --source /nonexistent/file.cpp --json"), 2,
                    "/nonexistent/file.cpp does not exist");
  expect_json_error(kata("judge causal_attention --json --seed notanumber"), 2, "--seed");
  expect_json_error(kata("mock status --json"), 2, "no mock round is active");
  write_file(workspace / "kata.db", "not a database");
  expect_json_error(kata("list --json"), 3, (workspace / "kata.db").string());
  EXPECT_EQ(kata("list").out, "") << "without --json, stdout stays empty";
}

TEST_F(Cli, BareKataListsTheVerbs) {
  auto r = kata("");
  EXPECT_EQ(r.exit_code, 2);
  for (const char* verb : {"list", "judge", "watch", "mock", "history"})
    EXPECT_NE(r.err.find(std::string("\n  ") + verb + " "), std::string::npos) << verb << " in:\n" << r.err;
}

TEST_F(Cli, UnknownVerbSaysSo) {
  auto r = kata("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'; run kata --help for the list"), std::string::npos) << r.err;
  r = kata("--frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option '--frobnicate'"), std::string::npos) << r.err;
}

TEST_F(Cli, VersionIsPrinted) {
  auto r = kata("--version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("kata ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find_first_of("0123456789"), std::string::npos) << r.out;
}

TEST_F(Cli, HelpFitsEightyColumns) {
  for (const char* verb : {"", "list", "show", "start", "hint", "reset", "solution", "judge", "watch", "mock",
                           "mock start", "mock status", "mock submit", "mock abandon", "history", "progress"}) {
    auto r = kata(std::string(verb) + " --help");
    EXPECT_EQ(r.exit_code, 0) << verb;
    expect_fits_80_columns(r.out);
  }
}

TEST_F(Cli, SeedsAreWholeNumbers) {
  for (const char* seed : {"-1", "notanumber", "18446744073709551616", "0x10", "1.5", "''"}) {
    auto r = kata(std::string("judge causal_attention --source ") + kStub + " --seed " + seed);
    EXPECT_EQ(r.exit_code, 2) << seed;
    EXPECT_NE(r.err.find("is not a seed"), std::string::npos) << seed << ": " << r.err;
  }
  EXPECT_EQ(kata("watch causal_attention --seed -1").exit_code, 2);
  auto r = kata("judge causal_attention --source " + kStub + " --seed 010 --json");
  EXPECT_EQ(r.json()["seed"], 10) << "decimal, not octal";
}

TEST_F(Cli, StartCopiesTheStubOnceAndNeverOverwrites) {
  auto r = kata("start causal_attention --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.json()["created"].get<bool>());
  EXPECT_EQ(read_file(attempt("causal_attention")), read_file(kStub));
  write_file(attempt("causal_attention"), "// my work\n");
  r = kata("start causal_attention --json");
  EXPECT_FALSE(r.json()["created"].get<bool>());
  EXPECT_EQ(read_file(attempt("causal_attention")), "// my work\n");
}

TEST_F(Cli, ResetKeepsABackupOfTheAttempt) {
  write_file(attempt("causal_attention"), "// my work\n");
  auto r = kata("reset causal_attention --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path backup = r.json()["backup"].get<std::string>();
  EXPECT_EQ(read_file(backup), "// my work\n");
  EXPECT_EQ(read_file(attempt("causal_attention")), read_file(kStub));
}

TEST_F(Cli, HintsAdvanceAcrossRunsAndStopAtTheLast) {
  std::vector<int> levels;
  for (int i = 0; i < 6; ++i) levels.push_back(kata("hint causal_attention --json").json()["level"]);
  int available = kata("hint causal_attention --json").json()["of"];
  ASSERT_GE(available, 3);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(levels[i], std::min(i + 1, available));
}

TEST_F(Cli, HintsAreWrappedToTheScreen) {
  for (const char* id : {"causal_attention", "decoder_block", "nan_loop", "rope", "train_loop"}) {
    std::string out;
    for (int i = 0; i < 5; ++i) out = kata(std::string("hint ") + id).out;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      bool one_word = line.find(' ', line.find_first_not_of(' ')) == std::string::npos;  // code is kept whole
      EXPECT_TRUE(code_points(line) <= 80 || one_word) << line;
    }
  }
}

TEST_F(Cli, SolutionAsksFirstOnATerminal) {
  Terminal declined(on_terminal("solution causal_attention"));
  ASSERT_TRUE(declined.wait_for("[y/N]")) << declined.output;
  declined.type("n\n");
  EXPECT_EQ(declined.finish(), 0);
  EXPECT_NE(declined.output.find("not shown"), std::string::npos) << declined.output;
  EXPECT_EQ(declined.output.find("namespace kata"), std::string::npos) << declined.output;

  Terminal accepted(on_terminal("solution causal_attention"));
  ASSERT_TRUE(accepted.wait_for("[y/N]")) << accepted.output;
  accepted.type("y\n");
  EXPECT_EQ(accepted.finish(), 0);
  EXPECT_NE(accepted.output.find("namespace kata"), std::string::npos) << accepted.output;
}

TEST_F(Cli, SolutionWithoutATerminalNeedsYes) {
  auto r = kata("solution causal_attention", "y\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("pass --yes"), std::string::npos) << r.err;
  r = kata("solution causal_attention --yes");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_file(kSolution));
}

TEST_F(Cli, JudgeReportsEveryFieldAndTheFixedSeed) {
  auto r = kata("judge causal_attention --source " + kStub + " --seed 4242 --json");
  EXPECT_EQ(r.exit_code, 1);
  auto j = r.json();
  EXPECT_EQ(j["exercise"], "causal_attention");
  EXPECT_EQ(j["verdict"], "wrong_answer");
  EXPECT_EQ(j["seed"], 4242);
  EXPECT_GT(j["compile_seconds"].get<double>(), 0);
  EXPECT_GT(j["run_seconds"].get<double>(), 0);
  ASSERT_FALSE(j["checks"].empty());
  bool explained = false;
  for (const auto& c : j["checks"]) {
    EXPECT_TRUE(c.contains("name") && c.contains("passed") && c.contains("detail"));
    if (!c["passed"].get<bool>()) explained |= c["detail"].get<std::string>().find("seed 4242") != std::string::npos;
  }
  EXPECT_TRUE(explained) << "a failed check names its case and seed";
}

TEST_F(Cli, ListShowsProgress) {
  auto status = [&] { return status_of("causal_attention"); };
  EXPECT_EQ(status(), "new");
  kata("start causal_attention");
  EXPECT_EQ(status(), "attempted");
  write_file(attempt("causal_attention"), read_file(kSolution));
  kata("judge causal_attention");
  EXPECT_EQ(status(), "solved");
}

// The readiness map: an item moves from not started to solved to solved in a round with its time, and
// the suggestion moves on to the first unsolved item.
TEST_F(Cli, ProgressMapsTheChecklistAndSuggestsWhatNext) {
  auto item = [&](const std::string& name) {
    auto progress = kata("progress --json").json();
    for (const auto& i : progress["items"])
      if (i["name"] == name) return i;
    return nlohmann::json();
  };
  const std::string sdpa = "Scaled dot-product attention";
  auto p = kata("progress --json").json();
  EXPECT_EQ(item(sdpa)["status"], "not started");
  EXPECT_EQ(p["next"]["exercise"], "causal_attention");
  EXPECT_EQ(p["next"]["command"], "./kata start causal_attention");
  for (const auto& i : p["items"])
    if (i["exercises"].empty()) EXPECT_EQ(i["status"], "not written yet") << i;

  write_file(attempt("causal_attention"), read_file(kSolution));
  kata("judge causal_attention");
  EXPECT_EQ(item(sdpa)["status"], "solved");
  EXPECT_NE(kata("progress --json").json()["next"]["exercise"], "causal_attention");
  EXPECT_NE(kata("list").out.find("readiness: 1 of"), std::string::npos);

  auto round = kata("mock start --exercise causal_attention --json").json();
  write_file(round["file"].get<std::string>(), read_file(kSolution));
  ASSERT_EQ(kata("mock submit").exit_code, 0);
  auto solved = item(sdpa);
  EXPECT_EQ(solved["status"], "solved in a round");
  EXPECT_GT(solved["best_round_seconds"].get<double>(), 0);
  auto r = kata("progress");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_fits_80_columns(r.out);
  EXPECT_NE(r.out.find("solved in a round 0:"), std::string::npos) << r.out;
}

TEST_F(Cli, OnlyTheLearnersOwnFileCountsAsProgress) {
  auto status = [&] { return status_of("causal_attention"); };
  auto r = kata("judge causal_attention --source " + kSolution + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.json()["recorded"].get<bool>());
  EXPECT_EQ(status(), "new") << "judging the reference is not solving the exercise";
  EXPECT_NE(kata("judge causal_attention --source " + kSolution).out.find("not recorded"), std::string::npos);

  write_file(attempt("causal_attention"), read_file(kSolution));
  r = kata("judge causal_attention --source " + attempt("causal_attention").string() + " --json");
  EXPECT_TRUE(r.json()["recorded"].get<bool>());
  EXPECT_EQ(status(), "solved") << "the attempt counts, however it is named";
}

TEST_F(Cli, ADirectoryIsNotASourceFile) {
  for (const char* verb : {"judge", "watch"}) {
    auto r = kata(std::string(verb) + " causal_attention --source " + workspace.string());
    EXPECT_EQ(r.exit_code, 2) << verb;
    EXPECT_NE(r.err.find(workspace.string() + " is a directory"), std::string::npos) << r.err;
  }
}

TEST_F(Cli, WatchCreatesTheAttemptLikeJudge) {
  Terminal watch(on_terminal("watch causal_attention"));
  ASSERT_TRUE(watch.wait_for("save to judge again")) << watch.output;
  EXPECT_NE(watch.output.find("created from the stub"), std::string::npos) << watch.output;
  EXPECT_NE(watch.output.find("\n  " + attempt("causal_attention").string()), std::string::npos) << watch.output;
  EXPECT_EQ(read_file(attempt("causal_attention")), read_file(kStub));
  watch.type("\x03");  // Ctrl-C
  EXPECT_EQ(watch.finish(), 0) << watch.output;
  EXPECT_NE(watch.output.find("stopped watching"), std::string::npos) << watch.output;
  EXPECT_EQ(status_of("causal_attention"), "attempted");
}

TEST_F(Cli, ListFitsEightyColumns) {
  auto r = kata("list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_fits_80_columns(r.out);
  EXPECT_NE(r.out.find("causal_attention"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Causal self-attention"), std::string::npos) << "short titles stay whole:\n" << r.out;
}

TEST_F(Cli, HistoryFitsEightyColumns) {
  ASSERT_EQ(kata("mock start --exercise causal_attention,decoder_block").exit_code, 0);
  ASSERT_EQ(kata("mock abandon").exit_code, 0);
  auto r = kata("history");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_fits_80_columns(r.out);
  EXPECT_NE(r.out.find("abandoned"), std::string::npos) << r.out;
}

TEST_F(Cli, ColourOnlyOnATerminalAndNeverWithNoColor) {
  write_file(attempt("causal_attention"), read_file(kSolution));
  ASSERT_EQ(kata("judge causal_attention").exit_code, 0);  // "solved" is shown in green
  EXPECT_FALSE(has_colour(kata("list").out)) << "not on a pipe";
  Terminal plain(on_terminal("list"));
  EXPECT_EQ(plain.finish(), 0);
  EXPECT_TRUE(has_colour(plain.output)) << plain.output;
  Terminal empty(on_terminal("list", "NO_COLOR="));
  EXPECT_EQ(empty.finish(), 0);
  EXPECT_TRUE(has_colour(empty.output)) << "an empty NO_COLOR does not count";
  Terminal no_color(on_terminal("list", "NO_COLOR=1"));
  EXPECT_EQ(no_color.finish(), 0);
  EXPECT_FALSE(has_colour(no_color.output)) << no_color.output;
  EXPECT_NE(no_color.output.find("solved"), std::string::npos) << no_color.output;
}

TEST_F(Cli, ManyProcessesShareTheDatabase) {
  // A watch, a judge and a mock status can all open the database at once; none may fail on its lock.
  std::string one = std::string(KATA_BINARY) + " --workspace '" + workspace.string() + "' hint causal_attention";
  std::string script = "for i in 1 2 3 4 5 6 7 8; do (for j in 1 2 3 4 5; do " + one +
                       " >/dev/null 2>&1 || echo x; done) & done > '" + (workspace / "failures").string() + "'; wait";
  ASSERT_EQ(std::system(script.c_str()), 0);
  EXPECT_EQ(read_file(workspace / "failures"), "");
}

TEST_F(Cli, CorruptDatabaseIsReportedAndKept) {
  write_file(workspace / "kata.db", "this is not a database, it is a learner's worst day");
  auto r = kata("list");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find((workspace / "kata.db").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("move it aside"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(workspace / "kata.db"), "this is not a database, it is a learner's worst day");
}

// Makes the workspace read-only for the commands run with the prefix it returns, however this machine
// allows: permission bits (ignored by root), else a read-only bind mount in a private mount namespace, else
// the immutable attribute (undone on destruction). Empty when none works.
class ReadOnly {
 public:
  explicit ReadOnly(const fs::path& dir) : dir_(dir) {
    std::string d = "'" + dir.string() + "'";
    if (geteuid() != 0) {
      fs::permissions(dir, fs::perms::owner_write, fs::perm_options::remove);
      fs::permissions(dir / "kata.db", fs::perms::owner_write, fs::perm_options::remove);
      chmodded_ = true;
      prefix = " ";
      return;
    }
    std::string bind = "unshare -m sh -c 'mount --bind " + d + " " + d + " && mount -o remount,bind,ro " + d + " " + d;
    if (std::system((bind + " && ! touch " + d + "/probe 2>/dev/null' 2>/dev/null").c_str()) == 0) {
      prefix = bind + " && exec \"$0\" \"$@\"' ";
      return;
    }
    std::string chattr = "chattr +i " + d + " " + d + "/kata.db 2>/dev/null";
    if (std::system((chattr + " && ! touch " + d + "/probe 2>/dev/null").c_str()) == 0) {
      immutable_ = true;
      prefix = " ";
    }
  }
  ~ReadOnly() {
    std::string d = "'" + dir_.string() + "'";
    if (immutable_) std::system(("chattr -i " + d + " " + d + "/kata.db").c_str());
    if (chmodded_) fs::permissions(dir_, fs::perms::owner_write, fs::perm_options::add);
  }
  std::string prefix;  // put before the kata binary

 private:
  fs::path dir_;
  bool immutable_ = false, chmodded_ = false;
};

TEST_F(Cli, ReadOnlyWorkspaceIsNotCalledDamaged) {
  ASSERT_EQ(kata("hint causal_attention").exit_code, 0);
  ReadOnly read_only(workspace);
  if (read_only.prefix.empty())
    GTEST_SKIP() << "no way to make a directory read-only here (root without "
                    "mount namespaces or chattr)";
  for (const char* args : {"list", "hint causal_attention", "start causal_attention", "mock start --json"}) {
    auto r = kata(args, "", read_only.prefix);
    EXPECT_EQ(r.exit_code, 3) << args << ": " << r.err;
    EXPECT_NE(r.err.find(workspace.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("is not writable"), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.err.find("damaged"), std::string::npos) << r.err;
  }
}

// A database written by the torchkata before multi-part rounds (schema 2) keeps its history and gains them.
TEST_F(Cli, DatabaseFromSchemaTwoIsUpgradedInPlace) {
  {
    fs::create_directories(workspace);
    SQLite::Database db((workspace / "kata.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(R"sql(
CREATE TABLE judgements (id INTEGER PRIMARY KEY, exercise TEXT NOT NULL, round_id INTEGER REFERENCES rounds(id),
  verdict TEXT NOT NULL, checks_passed INTEGER NOT NULL, checks_total INTEGER NOT NULL, seed INTEGER NOT NULL,
  at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0));
CREATE TABLE hints (exercise TEXT PRIMARY KEY, level INTEGER NOT NULL);
CREATE TABLE rounds (id INTEGER PRIMARY KEY, exercises TEXT NOT NULL, started REAL NOT NULL, deadline REAL NOT NULL,
  ended REAL, verdict TEXT, hints INTEGER NOT NULL DEFAULT 0, checks_passed INTEGER NOT NULL DEFAULT 0,
  checks_total INTEGER NOT NULL DEFAULT 0);
CREATE TABLE round_hints (round_id INTEGER NOT NULL REFERENCES rounds(id), exercise TEXT NOT NULL,
  level INTEGER NOT NULL, PRIMARY KEY (round_id, exercise, level));
INSERT INTO rounds (exercises, started, deadline, ended, verdict) VALUES ('rope', 1000, 3700, 1600, 'accepted');
PRAGMA user_version=2;
)sql");
  }
  auto history = kata("history --json");
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_EQ(history.json()["rounds"][0]["verdict"], "accepted");
  auto start = kata("mock start --round implementation --json");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_EQ(start.json()["round"], "implementation");
}

TEST_F(Cli, DatabaseFromANewerVersionIsRefused) {
  ASSERT_EQ(kata("hint causal_attention").exit_code, 0);
  // SQLite keeps user_version (the schema version) big-endian at byte 60 of the file header.
  {
    std::fstream db(workspace / "kata.db", std::ios::in | std::ios::out | std::ios::binary);
    db.seekp(60);
    const char version99[4] = {0, 0, 0, 99};
    db.write(version99, 4);
  }
  auto r = kata("hint causal_attention");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("newer torchkata"), std::string::npos) << r.err;
}

TEST_F(Cli, BrokenPrecompiledHeadersOnlySlowTheJudgeDown) {
  // A copy of the build's judge pieces whose precompiled headers are garbage, as after a compiler upgrade.
  fs::path judge = workspace / "judge";
  fs::copy(JUDGE_DIR, judge, fs::copy_options::recursive);
  for (const char* pch : {"lite.pch", "full.pch"}) write_file(judge / "pch" / pch, "not a precompiled header");
  auto toolchain = nlohmann::json::parse(read_file(judge / "toolchain.json"));
  toolchain["pch"]["lite"] = (judge / "pch" / "lite.pch").string();
  toolchain["pch"]["full"] = (judge / "pch" / "full.pch").string();
  write_file(judge / "toolchain.json", toolchain.dump());

  auto r =
      kata("judge causal_attention --source " + kSolution + " --json", "", "KATA_JUDGE_DIR='" + judge.string() + "' ");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["verdict"], "accepted");
  EXPECT_NE(r.json()["note"].get<std::string>().find("precompiled"), std::string::npos);
}

// A multi-part round: one clock, the second part opens only when the first is accepted, and a round
// handed in before the last part opened is incomplete.
TEST_F(Cli, MultiPartRoundOpensEachPartWhenTheOneBeforeIsAccepted) {
  auto unknown = kata("mock start --round nosuch");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("the rounds are: implementation, transformer"), std::string::npos) << unknown.err;
  EXPECT_EQ(kata("mock start --round transformer --exercise rope").exit_code, 2);

  auto start = kata("mock start --round transformer --json");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  auto s = start.json();
  EXPECT_EQ(s["round"], "transformer");
  EXPECT_NEAR(s["deadline"].get<double>() - s["started"].get<double>(), 60 * 60, 1e-6) << "the round's own length";
  EXPECT_EQ(s["exercises"], nlohmann::json({"causal_attention", "decoder_block"}));
  ASSERT_EQ(s["files"].size(), 1u) << s["files"];
  fs::path first = s["files"]["causal_attention"].get<std::string>();
  fs::path second = first.parent_path() / "decoder_block.cpp";
  EXPECT_FALSE(fs::exists(second)) << "part 2 opens later";
  EXPECT_NE(kata("mock status").out.find("opens when the part before it is accepted"), std::string::npos);

  auto wrong = kata("judge causal_attention --source " + first.string() + " --json").json();
  EXPECT_TRUE(wrong["opened"].is_null());
  EXPECT_FALSE(fs::exists(second)) << "a stub is not accepted, so nothing opens";

  write_file(first, read_file(kSolution));
  auto accepted = kata("judge causal_attention --source " + first.string() + " --json").json();
  EXPECT_EQ(accepted["verdict"], "accepted");
  EXPECT_NE(accepted["opened"].get<std::string>().find("part 2/2 is open"), std::string::npos) << accepted;
  EXPECT_TRUE(fs::exists(second));
  EXPECT_EQ(kata("mock status --json").json()["files"].size(), 2u);

  auto submit = kata("mock submit --json");
  EXPECT_EQ(submit.exit_code, 1) << "part 2 is still the stub";
  auto sub = submit.json();
  EXPECT_EQ(sub["verdict"], "wrong_answer");
  EXPECT_TRUE(sub["unreached"].empty());
  EXPECT_EQ(kata("history --json").json()["rounds"][0]["verdict"], "wrong_answer");

  // Handed in with the second part never opened: incomplete, not accepted.
  kata("mock start --round implementation");
  auto early = kata("mock submit --json");
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_EQ(early.json()["unreached"], nlohmann::json({"rope"}));
}

TEST_F(Cli, MockRoundScriptedEndToEnd) {
  auto start = kata("mock start --exercise causal_attention --minutes 45 --json");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  auto s = start.json();
  int64_t round = s["round_id"];
  fs::path file = s["file"].get<std::string>();
  EXPECT_EQ(read_file(file).find("./kata judge causal_attention"), std::string::npos)
      << "that would judge the practice attempt, not this file";
  EXPECT_NE(read_file(file).find("./kata mock submit"), std::string::npos) << read_file(file);
  EXPECT_NEAR(s["deadline"].get<double>() - s["started"].get<double>(), 45 * 60, 1e-6);
  EXPECT_FALSE(fs::exists(attempt("causal_attention"))) << "a round never touches practice attempts";

  auto again = kata("mock start --exercise causal_attention --json");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("still active"), std::string::npos) << again.err;

  auto status = kata("mock status --json").json();
  EXPECT_EQ(status["round_id"], round);
  EXPECT_GT(status["remaining_s"].get<double>(), 44 * 60);
  EXPECT_EQ(status["judge_runs"], 0);

  write_file(file, read_file(kSolution));
  auto submit = kata("mock submit --json");
  EXPECT_EQ(submit.exit_code, 0) << submit.err;
  auto sub = submit.json();
  EXPECT_EQ(sub["round_id"], round);
  EXPECT_EQ(sub["verdict"], "accepted");
  EXPECT_TRUE(sub["within_time"].get<bool>());
  EXPECT_GT(sub["elapsed_s"].get<double>(), 0);
  EXPECT_FALSE(sub["checks"].empty());

  EXPECT_EQ(kata("mock status --json").exit_code, 2) << "no round is active after a submit";
  auto history = kata("history --json").json()["rounds"];
  ASSERT_EQ(history.size(), 1u);
  for (const char* field :
       {"round_id", "exercise", "started", "verdict", "within_time", "elapsed_s", "hints", "judge_runs"})
    EXPECT_TRUE(history[0].contains(field)) << field;
  EXPECT_EQ(history[0]["judge_runs"], 1);
}

TEST_F(Cli, CountsArePluralisedCorrectly) {
  auto start = kata("mock start --exercise causal_attention --minutes 1");
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_NE(start.out.find("started: 1 minute\n"), std::string::npos) << start.out;
  auto file = workspace / "rounds" / "1" / "causal_attention.cpp";
  EXPECT_EQ(kata("judge causal_attention --source " + file.string()).exit_code, 1) << "the stub, in the round";
  auto status = kata("mock status");
  EXPECT_NE(status.out.find("1 judge run, 0 hints"), std::string::npos) << status.out;
  auto submit = kata("mock submit");
  EXPECT_NE(submit.out.find("2 judge runs, 0 hints"), std::string::npos) << submit.out;
}

TEST_F(Cli, MockRoundSubmittedAfterItsDeadlineIsLate) {
  ASSERT_EQ(kata("mock start --exercise causal_attention --minutes 0.01 --json").exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(kata("mock status --json").json()["remaining_s"], 0);
  auto sub = kata("mock submit --json");
  EXPECT_EQ(sub.exit_code, 1);  // the untouched stub
  EXPECT_FALSE(sub.json()["within_time"].get<bool>());
  EXPECT_FALSE(kata("history --json").json()["rounds"][0]["within_time"].get<bool>());
}

TEST_F(Cli, AnExpiredRoundIsJudgedWhenTheNextStarts) {
  ASSERT_EQ(kata("mock start --exercise causal_attention --minutes 0.02 --json").exit_code, 0);
  write_file(workspace / "rounds" / "1" / "causal_attention.cpp", read_file(kSolution));
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  auto next = kata("mock start --exercise rope --json");
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(next.json()["round_id"], 2);
  EXPECT_NE(next.err.find("mock round 1 ran out of time; judged as last saved: accepted"), std::string::npos)
      << next.err;
  auto expired = kata("history --json").json()["rounds"][0];
  EXPECT_EQ(expired["verdict"], "accepted");
  EXPECT_TRUE(expired["within_time"].get<bool>()) << "saved before the deadline";
  EXPECT_NEAR(expired["elapsed_s"].get<double>(), 1.2, 1e-3) << "it ended at the deadline";
  EXPECT_EQ(expired["judge_runs"], 1);
}

TEST_F(Cli, MockRoundAbandonedIsRecorded) {
  ASSERT_EQ(kata("mock start --exercise causal_attention --json").exit_code, 0);
  EXPECT_EQ(kata("mock abandon").exit_code, 0);
  EXPECT_EQ(kata("history --json").json()["rounds"][0]["verdict"], "abandoned");
  EXPECT_EQ(kata("mock start --exercise nosuch --json").exit_code, 2);
}

TEST_F(Cli, MockRoundLengthMustBePositive) {
  for (const char* minutes : {"-3", "0", "abc"})
    for (const char* verb : {"mock start", "mock"}) {
      auto r = kata(std::string(verb) + " --exercise causal_attention --minutes " + minutes);
      EXPECT_EQ(r.exit_code, 2) << verb << " --minutes " << minutes;
      EXPECT_NE(r.err.find("a round lasts more than 0 minutes"), std::string::npos) << r.err;
    }
  EXPECT_EQ(kata("history --json").json()["rounds"].size(), 0u);
}

TEST_F(Cli, MockRoundTakesAtMostTwoExercises) {
  EXPECT_NE(kata("mock --help").out.find("at most two"), std::string::npos);
  auto r = kata("mock start --exercise causal_attention,rope,nan_loop");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("one exercise or two, not 3"), std::string::npos) << r.err;
  EXPECT_EQ(kata("mock start --exercise rope,rope").exit_code, 2);
  EXPECT_EQ(kata("mock --exercise causal_attention,rope,nan_loop").exit_code, 2);
  EXPECT_EQ(kata("history --json").json()["rounds"].size(), 0u);
  auto pair = kata("mock start --exercise causal_attention,rope --json");
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  EXPECT_EQ(pair.json()["exercises"].size(), 2u);
}

TEST_F(Cli, HintsDuringARoundAreTheRounds) {
  ASSERT_EQ(kata("hint causal_attention").exit_code, 0);  // practice: hint 1
  ASSERT_EQ(kata("mock start --exercise causal_attention").exit_code, 0);
  auto hint = kata("hint causal_attention --json").json();
  EXPECT_EQ(hint["level"], 1) << "a round's hints start again from the first";
  EXPECT_EQ(hint["round_id"], 1);
  EXPECT_NE(kata("hint causal_attention").out.find("counted in mock round 1"), std::string::npos);
  EXPECT_EQ(kata("mock status --json").json()["hints"], 2);
  for (int i = 0; i < 5; ++i) kata("hint causal_attention");
  int available = kata("hint causal_attention --json").json()["of"];
  EXPECT_EQ(kata("mock status --json").json()["hints"], available) << "past the last hint nothing more is counted";
  EXPECT_EQ(kata("hint rope --json").json().count("round_id"), 0u) << "rope is not in the round";
  ASSERT_EQ(kata("mock abandon").exit_code, 0);
  EXPECT_EQ(kata("history --json").json()["rounds"][0]["hints"], available);
  EXPECT_EQ(kata("hint causal_attention --json").json()["level"], 2) << "practice hints went on from where they were";
}

TEST_F(Cli, InteractiveRoundResumesWithItsVerdictsAndHintsAndConfirmsSubmit) {
  ASSERT_EQ(kata("mock start --exercise causal_attention").exit_code, 0);
  ASSERT_EQ(kata("hint causal_attention").exit_code, 0);
  auto file = workspace / "rounds" / "1" / "causal_attention.cpp";
  ASSERT_EQ(kata("judge causal_attention --source " + file.string()).exit_code, 1);

  Terminal round(on_terminal("mock"));
  ASSERT_TRUE(round.wait_for("resumed mock round 1")) << round.output;
  EXPECT_TRUE(round.wait_for("last save: wrong_answer")) << round.output;
  EXPECT_TRUE(round.wait_for("hint 1/")) << round.output;
  round.type("s");
  ASSERT_TRUE(round.wait_for("submit now and stop the clock? [y/N]")) << round.output;
  round.type("n");
  EXPECT_TRUE(round.wait_for("[h] hint")) << round.output;
  round.type("h");
  EXPECT_TRUE(round.wait_for("hint 2/")) << round.output;
  round.type("q");
  ASSERT_TRUE(round.wait_for("abandon this round? [y/N]")) << round.output;
  round.type("y");
  EXPECT_EQ(round.finish(), 1);
  EXPECT_NE(round.output.find("mock round 1 abandoned"), std::string::npos) << round.output;

  auto history = kata("history --json").json()["rounds"][0];
  EXPECT_EQ(history["verdict"], "abandoned") << "not submitted when the learner said no";
  EXPECT_EQ(history["hints"], 2);
  EXPECT_EQ(history["judge_runs"], 1);
}

TEST_F(Cli, InteractiveMockNeedsATerminal) {
  auto r = kata("mock --exercise causal_attention");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs a terminal"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// clangd's verdict on a file: its exit code and the "N errors" it reports.
struct ClangdCheck {
  int exit_code;
  std::string log;
};
ClangdCheck clangd_check(const fs::path& file) {
  std::string cmd = "clangd --check='" + file.string() + "' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string log;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) log.append(buf.data(), n);
  return {WEXITSTATUS(pclose(pipe)), log};
}

// An attempt opens in any clangd-based editor with LibTorch and the contract understood, and no set-up:
// clangd finds no error in the fresh stub, and does find the one planted in it (so it really compiled it).
TEST_F(Cli, EditorsUnderstandTheAttemptWithNoSetUp) {
  if (std::system("command -v clangd >/dev/null") != 0) GTEST_SKIP() << "clangd is not installed";
  ASSERT_EQ(kata("start rope").exit_code, 0);
  auto fresh = clangd_check(attempt("rope"));
  EXPECT_EQ(fresh.exit_code, 0) << fresh.log.substr(fresh.log.size() > 3000 ? fresh.log.size() - 3000 : 0);
  EXPECT_NE(fresh.log.find("All checks completed, 0 errors"), std::string::npos);
  write_file(attempt("rope"), read_file(attempt("rope")) + "\nauto planted = torch::no_such_function();\n");
  auto broken = clangd_check(attempt("rope"));
  EXPECT_NE(broken.log.find("no_such_function"), std::string::npos) << broken.log.substr(0, 2000);
  EXPECT_EQ(broken.log.find("All checks completed, 0 errors"), std::string::npos);
}

}  // namespace

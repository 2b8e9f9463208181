// Drives the real judge (`kata judge <id> --source FILE --json`) over every case file and checks the verdict:
// the references are accepted, the untouched stubs are not, and each file in tests/cases/<id>/ gets the
// verdict (and, for a wrong answer, the failed check) its first line promises:
//   // expect: wrong_answer CausalAttention.NoFutureLeakage
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "mistake_header.h"

namespace fs = std::filesystem;

namespace {

struct Case {
  std::string exercise;
  fs::path file;
  std::string verdict;  // expected; "not_accepted" for a stub
  std::string check;    // for wrong_answer: a check that must be among the failed ones
  std::string mistake;  // for a named mistake ("// mistake: ..."): its id, which the judge must name
  std::vector<std::string> names;  // for several bugs ("// names: a, b"): mistakes some check must name
};

// What ctest shows for a case: its file, not GoogleTest's dump of the struct's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file.string(); }

Case read_case(const std::string& exercise, const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  static const std::regex expect(R"(^// expect: (\w+)(?: (\S+))?\s*$)");
  std::smatch m;
  if (!std::regex_match(first, m, expect)) return {exercise, file, "missing '// expect:' line", "", ""};
  auto mistake = kata::read_mistake_header(file);
  return {exercise, file, m[1], m[2], mistake ? mistake->id : "", kata::read_named_mistakes(file)};
}

std::vector<Case> all_cases() {
  fs::path root = KATA_SOURCE_DIR;
  std::vector<Case> cases;
  std::string built = std::string(",") + KATA_BUILT_EXERCISES + ",";
  for (const auto& dir : fs::directory_iterator(root / "exercises")) {
    std::string id = dir.path().filename();
    if (built.find("," + id + ",") == std::string::npos) continue;  // a build for fewer exercises
    cases.push_back({id, dir.path() / ".meta" / "reference.cpp", "accepted", "", ""});
    cases.push_back({id, dir.path() / (id + ".cpp"), "not_accepted", "", ""});
    if (!fs::exists(dir.path() / ".meta" / "cases")) continue;
    for (const auto& f : fs::directory_iterator(dir.path() / ".meta" / "cases"))
      cases.push_back(read_case(id, f.path()));
  }
  // Hostile files all implement causal_attention.
  for (const auto& f : fs::directory_iterator(root / "tests" / "cases" / "hostile"))
    cases.push_back(read_case("causal_attention", f.path()));
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.file < b.file; });
  return cases;
}

struct Run {
  int exit_code;
  nlohmann::json report;
  std::string err;
};

// `prefix` runs the judge another way (as another user, say).
Run judge(const Case& c, const std::string& workspace = TEMP_WORKSPACE, const std::string& prefix = "") {
  auto err_file = fs::path(workspace + ".err") / (c.file.stem().string() + "." + std::to_string(getpid()) + ".err");
  fs::create_directories(err_file.parent_path());
  std::string cmd = prefix + KATA_BINARY + " --workspace " + workspace + " judge " + c.exercise + " --source '" +
                    c.file.string() + "' --json 2>'" + err_file.string() + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  int status = pclose(pipe);
  std::ifstream err_in(err_file);
  std::string err((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  fs::remove(err_file);
  return {WEXITSTATUS(status), nlohmann::json::parse(out, nullptr, false), err};
}

std::string failed_checks(const nlohmann::json& report) {
  std::string names;
  for (const auto& c : report["checks"])
    if (!c["passed"].get<bool>()) names += " " + c["name"].get<std::string>();
  return names;
}

class JudgeCase : public ::testing::TestWithParam<Case> {};

// Whether a check of the JSON report names the known mistake `id`, alone or among equally good matches.
bool names_mistake(const nlohmann::json& check, const std::string& id) {
  if (check.is_null() || check["mistake"].is_null()) return false;
  bool named = check["mistake"]["id"] == id;
  for (const auto& also : check["also_matches"]) named |= also["id"] == id;
  return named;
}

TEST_P(JudgeCase, GetsItsVerdict) {
  const Case& c = GetParam();
  auto run = judge(c);
  ASSERT_FALSE(run.report.is_discarded()) << "the judge printed no JSON for " << c.file << "\n" << run.err;
  std::string verdict = run.report["verdict"];
  std::string context = c.file.string() + "\nmessage: " + run.report["message"].get<std::string>() +
                        "\nfailed:" + failed_checks(run.report);
  if (c.verdict == "not_accepted") {
    EXPECT_NE(verdict, "accepted") << context;
    EXPECT_EQ(run.exit_code, 1) << context;
    return;
  }
  EXPECT_EQ(verdict, c.verdict) << context;
  // The memory limit leaves the reference four times what it needs (exercise.toml: memory_limit_mb).
  if (c.file.filename() == "reference.cpp")
    EXPECT_LE(4 * run.report["peak_memory_mb"].get<int64_t>(), run.report["memory_limit_mb"].get<int64_t>()) << context;
  EXPECT_EQ(run.exit_code, c.verdict == "accepted" ? 0 : 1) << context;
  if (!c.check.empty()) {
    bool found = false;
    for (const auto& check : run.report["checks"]) found |= check["name"] == c.check && !check["passed"].get<bool>();
    EXPECT_TRUE(found) << "expected " << c.check << " to fail\n" << context;
  }
  // A named mistake is recognised as itself, and a file with several bugs gets each named: the id is the
  // mistake (or one of the equally good matches) the JSON gives for a failed check.
  std::vector<std::string> named_ids = c.names;
  if (!c.mistake.empty()) named_ids.push_back(c.mistake);
  for (const auto& id : named_ids) {
    bool named = false;
    for (const auto& check : run.report["checks"]) named |= names_mistake(check, id);
    EXPECT_TRUE(named) << "expected a failed check to name the known mistake " << id << "\n" << context;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.exercise + "_" + info.param.file.parent_path().filename().string() + "_" +
                     info.param.file.stem().string();
  for (auto& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllFiles, JudgeCase, ::testing::ValuesIn(all_cases()), case_name);

// Every file under these directories, by path: its size and a hash of its bytes.
std::map<std::string, std::pair<uintmax_t, size_t>> fingerprint(const std::vector<fs::path>& roots) {
  std::map<std::string, std::pair<uintmax_t, size_t>> files;
  for (const auto& root : roots) {
    for (const auto& f : fs::recursive_directory_iterator(root)) {
      // The database is the judge's own record of the verdict, written by the trusted side.
      if (!f.is_regular_file() || f.path().filename().string().rfind("kata.db", 0) == 0) continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      files[f.path().string()] = {f.file_size(), std::hash<std::string>{}(bytes)};
    }
  }
  return files;
}

bool process_named(const std::string& name) {
  for (const auto& p : fs::directory_iterator("/proc")) {
    std::ifstream comm(p.path() / "comm");
    std::string n;
    if (std::getline(comm, n) && n == name) return true;
  }
  return false;
}

// A file that tries to write, delete and add files of the project, the build and the workspace, and leaves
// a daemon behind: afterwards every file is byte-identical and no process of the run is alive (killed with
// its jail as the verdict is given; a moment to finish dying is allowed, never to go on).
TEST(Sandbox, HostileRunLeavesNoTrace) {
  const std::string workspace = std::string(TEMP_WORKSPACE) + "-tamper";
  fs::path root = KATA_SOURCE_DIR;
  Case c{"causal_attention", root / "tests/cases/tamper/tampers_and_leaves_a_daemon.cpp", "accepted", ""};
  judge(c, workspace);  // creates the workspace and its database
  std::vector<fs::path> watched = {JUDGE_DIR, root / "tests", root / "exercises", workspace};
  auto before = fingerprint(watched);
  auto run = judge(c, workspace);
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  EXPECT_EQ(run.report["verdict"], "accepted") << run.report["message"];
  EXPECT_EQ(fingerprint(watched), before);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (process_named("kata-daemon") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(process_named("kata-daemon"));
}

// Judged by a user who is not root, the sandbox falls back to a user namespace and polled memory, says so
// once, and the verdicts stay right: flash_attention's 64 MiB bound the learner's memory, not LibTorch's own,
// and without a high-water mark to measure its call by, a 3072-position sequence takes the score matrix over it.
TEST(Sandbox, WorksWithoutRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "already not root: every other test covers this";
  fs::path dir = fs::temp_directory_path() / ("kata-nobody-" + std::to_string(getpid()));
  fs::create_directories(dir / "workspace");
  fs::permissions(dir, fs::perms::all);
  fs::permissions(dir / "workspace", fs::perms::all);
  fs::path root = KATA_SOURCE_DIR;
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=" + dir.string() + " ";
  for (const auto& [id, file, verdict] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"causal_attention", "exercises/causal_attention/.meta/reference.cpp", "accepted"},
           {"causal_attention", "exercises/causal_attention/.meta/cases/wrong_mask_tril.cpp", "wrong_answer"},
           {"causal_attention", "tests/cases/hostile/memory_hog.cpp", "memory_limit_exceeded"},
           {"flash_attention", "exercises/flash_attention/.meta/reference.cpp", "accepted"},
           {"flash_attention", "exercises/flash_attention/.meta/cases/memory_full_scores.cpp", "memory_limit_exceeded"}}) {
    fs::copy_file(root / file, dir / fs::path(file).filename(), fs::copy_options::overwrite_existing);
    Case c{id, dir / fs::path(file).filename(), verdict, ""};
    auto run = judge(c, (dir / "workspace").string(), as_nobody);
    ASSERT_FALSE(run.report.is_discarded()) << run.err;
    EXPECT_EQ(run.report["verdict"], verdict) << file << ": " << run.report["message"];
    std::string note = run.report["note"];
    if (!note.empty()) EXPECT_NE(note.find("refused part of the sandbox"), std::string::npos) << note;
  }
  fs::remove_all(dir);
}

// Where the kernel gives a cgroup's high-water mark to reset (here cgroup v1's, as root), flash_attention's
// memory check measures the learner's call itself, over 1536 positions, and says by how much it went over.
TEST(Sandbox, MeasuresTheMemoryOfOneCall) {
  if (geteuid() != 0 || !fs::exists("/sys/fs/cgroup/memory/memory.max_usage_in_bytes"))
    GTEST_SKIP() << "no cgroup v1 memory controller here: the worker's limit tells instead";
  fs::path root = KATA_SOURCE_DIR;
  Case c{"flash_attention", root / "exercises/flash_attention/.meta/cases/memory_full_scores.cpp",
         "memory_limit_exceeded", ""};
  auto run = judge(c);
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  EXPECT_EQ(run.report["verdict"], "memory_limit_exceeded");
  EXPECT_NE(run.report["message"].get<std::string>().find("over 1536 positions your call used"), std::string::npos)
      << run.report["message"];
}

// A learner's file written on the spot, judged, and removed.
struct TempSource {
  fs::path path;
  TempSource(const std::string& name, const std::string& text)
      : path(fs::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".cpp")) {
    std::ofstream(path) << text;
  }
  ~TempSource() { fs::remove(path); }
};

// An #include of a FIFO that nobody writes would block the compiler forever; in the compiler's jail the
// FIFO does not exist, so the verdict is a prompt compile error naming it.
TEST(Sandbox, IncludeOfAFifoDoesNotHang) {
  fs::path fifo = fs::temp_directory_path() / ("kata-fifo-" + std::to_string(getpid()));
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  TempSource source("includes_a_fifo", "#include \"" + fifo.string() + "\"\n");
  auto started = std::chrono::steady_clock::now();
  auto run = judge({"causal_attention", source.path, "compile_error", ""});
  fs::remove(fifo);
  EXPECT_EQ(run.report["verdict"], "compile_error") << run.report["message"];
  EXPECT_NE(run.report["message"].get<std::string>().find("file not found"), std::string::npos)
      << run.report["message"];
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

// What the learner's code prints during a check is kept with that check: it is how people debug.
TEST(Judge, ShowsWhatTheLearnersCodePrintedWithTheCheck) {
  TempSource source("prints", R"(#include "causal_attention.h"
#include <iostream>
namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  std::cout << "q is " << q.sizes() << std::endl;
  return torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1), v);
}
}  // namespace kata
)");
  auto run = judge({"causal_attention", source.path, "wrong_answer", ""});
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  EXPECT_EQ(run.report["verdict"], "wrong_answer");
  for (const auto& check : run.report["checks"]) {
    if (check["name"] != "CausalAttention.OutputFloat64") continue;
    EXPECT_NE(check["output"].get<std::string>().find("q is [2, 3, 5, 8]"), std::string::npos) << check["output"];
  }
}

// A runtime error reads as LibTorch's message and the call with its inputs, without the C++ backtrace.
TEST(Judge, RuntimeErrorsNameTheCallAndItsInputs) {
  TempSource source("throws", R"(#include "causal_attention.h"
namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  return torch::matmul(torch::softmax(torch::matmul(q, k), -1), v);  // k not transposed
}
}  // namespace kata
)");
  auto run = judge({"causal_attention", source.path, "runtime_error", ""});
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  EXPECT_EQ(run.report["verdict"], "runtime_error");
  auto check = run.report["checks"][0];
  std::string detail = check["detail"];
  EXPECT_EQ(check["failure"], "runtime_error");
  EXPECT_NE(detail.find("in causal_attention(q [2, 3, 5, 8] float64, k [2, 3, 5, 8] float64, v [2, 3, 5, 8] "
                        "float64), seed " + std::to_string(run.report["seed"].get<uint64_t>())),
            std::string::npos)
      << detail;
  EXPECT_EQ(detail.find("frame #"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("Exception raised from"), std::string::npos) << detail;
}

// A correct causal attention with one line changed, for the findings tests.
std::string attention_then(const std::string& last_line) {
  return R"(#include "causal_attention.h"
#include <cmath>
namespace kata {
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const auto T = q.size(-2);
  auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(q.size(-1)));
  auto future = torch::ones({T, T}, q.options().dtype(torch::kBool)).triu(1);
  auto p = torch::softmax(att.masked_fill(future, -INFINITY), -1);
  )" + last_line + R"(
}
}  // namespace kata
)";
}

// The findings of a failed check, most specific first, and the known mistake it matched.
nlohmann::json failed_check(const Run& run, const std::string& name) {
  for (const auto& check : run.report["checks"])
    if (check["name"] == name) return check;
  return {};
}

// Mistakes nobody listed still get a first finding that says what the check saw.
TEST(Judge, FindingsNameWhatTheCheckSaw) {
  struct Probe {
    const char* last_line;
    const char* check;
    const char* finding;  // in the first finding
  } probes[] = {
      {"return torch::matmul(p, v) * 2;", "CausalAttention.OutputFloat64", "got = expected × 2 (≈ 2)"},
      {"return torch::matmul(p, v) + 0.5;", "CausalAttention.OutputFloat64", "got = expected + 0.5 everywhere"},
      {"auto out = torch::matmul(p, v); return out * (1 + 1e-6 * torch::randn_like(out));",
       "CausalAttention.OutputFloat64", "float32 precision"},
      {"auto out = torch::matmul(p, v); out.select(-2, 0).zero_(); return out;", "CausalAttention.OutputFloat64",
       "exactly 0 at 48 of the 48 wrong positions"},
      {"return torch::matmul(p, v).to(torch::kFloat);", "CausalAttention.OutputFloat64", "has dtype float32"},
      {"return torch::matmul(p, v) / (v.sum() - v.sum());", "CausalAttention.OutputFloat64", "NaN"},
  };
  for (const auto& probe : probes) {
    TempSource source("finding", attention_then(probe.last_line));
    auto run = judge({"causal_attention", source.path, "wrong_answer", ""});
    ASSERT_FALSE(run.report.is_discarded()) << run.err;
    auto check = failed_check(run, probe.check);
    ASSERT_FALSE(check.is_null() || check["passed"].get<bool>()) << probe.last_line;
    ASSERT_FALSE(check["findings"].empty()) << probe.last_line;
    EXPECT_NE(check["findings"][0].get<std::string>().find(probe.finding), std::string::npos)
        << probe.last_line << "\n" << check["findings"];
  }
}

// A half-fixed debugging exercise with two bugs, in a combination no known mistake has: each is named at the
// check that it alone fails (buggy_attention isolates each of its bugs in a check of its own).
TEST(Judge, TwoBugsAreBothNamed) {
  if ((std::string(",") + KATA_BUILT_EXERCISES + ",").find(",buggy_attention,") == std::string::npos)
    GTEST_SKIP() << "buggy_attention is not in this build";
  std::ifstream in(fs::path(KATA_SOURCE_DIR) / "exercises/buggy_attention/.meta/cases/ok_four_one_line_fixes.cpp");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto replace = [&](const std::string& from, const std::string& to) {
    auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replace("y.transpose(1, 2).reshape({B, Tq, C})", "y.reshape({B, Tq, C})");  // the colleague's merge
  replace("std::sqrt(static_cast<double>(head_size))", "static_cast<double>(head_size)");  // a wrong fix
  TempSource source("two_bugs", text);
  auto run = judge({"buggy_attention", source.path, "wrong_answer", ""});
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  EXPECT_TRUE(names_mistake(failed_check(run, "BuggyAttention.HeadMerge"), "left_merge")) << run.report.dump(2);
  EXPECT_TRUE(names_mistake(failed_check(run, "BuggyAttention.ScaleByHeadSize"), "scale_by_head_size_without_sqrt"))
      << run.report.dump(2);
}

// Advice tied to a symptom shows only when the symptom is there: a wrong scale factor gets no overflow or
// dtype advice; a NaN output gets the overflow advice of the check for large scores.
TEST(Judge, ExplanationsOnlyWithTheirSymptom) {
  TempSource scaled("scaled", attention_then("return torch::matmul(p, v) * 2;"));
  auto run = judge({"causal_attention", scaled.path, "wrong_answer", ""});
  ASSERT_FALSE(run.report.is_discarded()) << run.err;
  for (const auto& check : run.report["checks"])
    for (const auto& finding : check["findings"]) {
      EXPECT_EQ(finding.get<std::string>().find("overflows"), std::string::npos) << finding;
      EXPECT_EQ(finding.get<std::string>().find("q.options()"), std::string::npos) << finding;
    }
  TempSource naive("naive", attention_then(
                                "auto e = att.masked_fill(future, -INFINITY).exp();\n"
                                "  return torch::matmul(e / e.sum(-1, true), v);"));
  run = judge({"causal_attention", naive.path, "wrong_answer", ""});
  auto large = failed_check(run, "CausalAttention.LargeScoresStayFinite");
  ASSERT_FALSE(large.is_null() || large["passed"].get<bool>()) << run.report.dump(2);
  std::string all = large["findings"].dump();
  EXPECT_NE(all.find("NaN"), std::string::npos) << all;
  EXPECT_NE(all.find("subtract each row's maximum"), std::string::npos) << all;
}

}  // namespace

#include "verdict.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

namespace kata {
namespace {

namespace fs = std::filesystem;

// GoogleTest prefixes a failure with the test file's path and "Failed": noise for the learner.
std::string strip_location(std::string text) {
  static const std::regex location(R"(^(\S+:\d+|unknown file)\n(Failed\n)?)");
  return std::regex_replace(text, location, "", std::regex_constants::format_first_only);
}

// LibTorch's messages carry a C++ backtrace after the useful line.
std::string first_lines(const std::string& what) {
  std::string kept = what;
  for (const char* end : {"\nException raised from", "\nframe #"}) {
    auto cut = kept.find(end);
    if (cut != std::string::npos) kept = kept.substr(0, cut);
  }
  return kept;
}

struct Report {
  std::map<std::string, Check> checks;
  bool duplicates = false;
};

std::optional<Report> read_report(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("testsuites")) return std::nullopt;
  Report report;
  for (const auto& suite : json["testsuites"]) {
    for (const auto& test : suite.value("testsuite", nlohmann::json::array())) {
      Check c;
      c.name = suite.value("name", "") + "." + test.value("name", "");
      bool ran = test.value("status", "") == "RUN" && test.value("result", "") == "COMPLETED";
      c.passed = ran && !test.contains("failures");
      if (!ran) c.detail = "this check did not run (result: " + test.value("result", "unknown") + ")";
      if (test.contains("failures") && !test["failures"].empty())
        c.detail = strip_location(test["failures"][0].value("failure", ""));
      report.duplicates |= report.checks.count(c.name) > 0;
      report.checks[c.name] = c;
    }
  }
  return report;
}

// The checker's record of each check: what the learner's code did and what the check found; then a line
// with the protections, then the known mistakes each failed check matches.
struct Records {
  std::map<std::string, nlohmann::json> checks;
  std::map<std::string, std::vector<Mistake>> mistakes;
  std::string protections;
  int64_t peak_memory = 0;
};
Records read_records(const fs::path& path) {
  Records r;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) continue;
    if (json.contains("check"))
      r.checks[json.value("check", "")] = json;
    else if (json.contains("mistakes_for"))
      for (const auto& m : json.value("matched", nlohmann::json::array()))
        r.mistakes[json.value("mistakes_for", "")].push_back({m.value("id", ""), m.value("name", ""), m.value("why", "")});
    else {
      r.protections = json.value("protections", "");
      r.peak_memory = json.value("peak_memory", int64_t{0});
    }
  }
  return r;
}

Verdict verdict_named(const std::string& name) {
  if (name == "time_limit_exceeded") return Verdict::time_limit_exceeded;
  if (name == "memory_limit_exceeded") return Verdict::memory_limit_exceeded;
  if (name == "compile_error") return Verdict::compile_error;
  return Verdict::runtime_error;
}

// Limits first, then crashes: the most telling way the learner's code failed.
int severity(Verdict v) {
  switch (v) {
    case Verdict::compile_error:
      return 4;
    case Verdict::memory_limit_exceeded:
      return 3;
    case Verdict::time_limit_exceeded:
      return 2;
    case Verdict::runtime_error:
      return 1;
    default:
      return 0;
  }
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return fmt::format("SIG{} ({})", abbrev ? abbrev : std::to_string(sig), strsignal(sig));
}

std::string last_lines(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string kept;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) kept += lines[i] + "\n";
  return kept;
}

}  // namespace

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::accepted:
      return "accepted";
    case Verdict::wrong_answer:
      return "wrong_answer";
    case Verdict::compile_error:
      return "compile_error";
    case Verdict::forbidden_call:
      return "forbidden_call";
    case Verdict::runtime_error:
      return "runtime_error";
    case Verdict::time_limit_exceeded:
      return "time_limit_exceeded";
    case Verdict::memory_limit_exceeded:
      return "memory_limit_exceeded";
  }
  return "runtime_error";
}

Outcome decide(const RunResult& run, const fs::path& report_path, const fs::path& records_path,
               const std::vector<std::string>& expected_checks) {
  auto report = read_report(report_path);
  auto records = read_records(records_path);
  Outcome o;
  o.protections = records.protections;
  o.peak_memory_bytes = records.peak_memory;
  bool all_ran = report.has_value();
  Verdict worst = Verdict::accepted;
  for (const auto& name : expected_checks) {
    Check c{name, false, "this check never ran", {}, {}, {}, "", ""};
    if (report && report->checks.count(name))
      c = report->checks.at(name);
    else
      all_ran = false;
    if (records.checks.count(name)) {
      const auto& rec = records.checks.at(name);
      c.output = rec.value("output", "");
      if (!c.passed) c.findings = rec.value("findings", std::vector<std::string>{});
      if (!c.passed && records.mistakes.count(name) && !records.mistakes.at(name).empty()) {
        const auto& matched = records.mistakes.at(name);
        c.mistake = matched.front();
        c.also.assign(matched.begin() + 1, matched.end());
      }
      if (rec.contains("failure")) {
        c.failure = rec.value("failure", "runtime_error");
        c.detail = first_lines(rec.value("message", ""));
        Verdict v = verdict_named(c.failure);
        if (severity(v) > severity(worst)) {
          worst = v;
          o.message = fmt::format("{}: {}", name, c.detail);
        }
      }
    }
    o.checks.push_back(c);
  }
  bool any_failed = std::any_of(o.checks.begin(), o.checks.end(), [](const Check& c) { return !c.passed; });

  // The checker itself (trusted) ending badly is the judge's problem, never the learner's success.
  if (run.memory_exceeded || run.timed_out || run.output_exceeded || run.signal != 0 || !all_ran ||
      (report && (report->duplicates || report->checks.size() != expected_checks.size())) ||
      (run.exit_code != 0 && !any_failed)) {
    o.verdict = Verdict::runtime_error;
    o.message = fmt::format(
        "the judge's checker failed ({}); this is a bug of torchkata, please report "
        "it with your file",
        run.signal ? signal_name(run.signal) : fmt::format("exit code {}", run.exit_code));
    if (!run.err.empty()) o.message += "\n" + last_lines(run.err, 3);
    if (worst != Verdict::accepted) o.verdict = worst;
    return o;
  }
  if (worst != Verdict::accepted)
    o.verdict = worst;
  else
    o.verdict = any_failed ? Verdict::wrong_answer : Verdict::accepted;
  return o;
}

}  // namespace kata

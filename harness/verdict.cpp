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

const std::string kException = "C++ exception with description \"";

// GoogleTest prefixes a failure with the test file's path and "Failed": noise for the learner.
std::string strip_location(std::string text) {
  static const std::regex location(R"(^(\S+:\d+|unknown file)\n(Failed\n)?)");
  return std::regex_replace(text, location, "", std::regex_constants::format_first_only);
}

// LibTorch's messages carry a C++ backtrace after the useful line.
std::string shorten_exception(const std::string& failure) {
  auto start = failure.find(kException);
  if (start == std::string::npos) return failure;
  std::string what = failure.substr(start + kException.size());
  for (const char* end : {"\nException raised from", "\nframe #", "\" thrown in"}) {
    auto cut = what.find(end);
    if (cut != std::string::npos) what = what.substr(0, cut);
  }
  return what;
}

struct Report {
  std::map<std::string, Check> checks;
  bool complete = false;  // written at the end of RUN_ALL_TESTS, not by a crashed or exited process
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
      c.meaning = test.value("meaning", "");
      bool ran = test.value("status", "") == "RUN" && test.value("result", "") == "COMPLETED";
      c.passed = ran && !test.contains("failures");
      if (!ran) c.detail = "this check did not run (result: " + test.value("result", "unknown") + ")";
      if (test.contains("failures") && !test["failures"].empty())
        c.detail = strip_location(test["failures"][0].value("failure", ""));
      report.checks[c.name] = c;
    }
  }
  report.complete = true;
  return report;
}

// The check that was running when the process died: the last "[ RUN ]" line without a result after it.
std::string running_check(const std::string& out) {
  std::istringstream in(out);
  std::string line, running;
  while (std::getline(in, line)) {
    if (line.rfind("[ RUN      ] ", 0) == 0) running = line.substr(13);
    else if (line.rfind("[       OK ] ", 0) == 0 || line.rfind("[  FAILED  ] ", 0) == 0) running.clear();
  }
  return running;
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

std::string during(const std::string& check) { return check.empty() ? "" : " during check " + check; }

}  // namespace

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::accepted: return "accepted";
    case Verdict::wrong_answer: return "wrong_answer";
    case Verdict::compile_error: return "compile_error";
    case Verdict::runtime_error: return "runtime_error";
    case Verdict::time_limit_exceeded: return "time_limit_exceeded";
    case Verdict::memory_limit_exceeded: return "memory_limit_exceeded";
  }
  return "runtime_error";
}

Outcome decide(const RunResult& run, const fs::path& report_path, const fs::path& premature_exit,
               const std::vector<std::string>& expected_checks, const Limits& limits) {
  auto report = read_report(report_path);
  Outcome o;
  bool all_ran = report.has_value();
  std::string exception;
  for (const auto& name : expected_checks) {
    if (report && report->checks.count(name)) {
      Check c = report->checks.at(name);
      if (!c.passed && c.detail.find(kException) != std::string::npos && exception.empty())
        exception = fmt::format("{} threw: {}", name, shorten_exception(c.detail));
      o.checks.push_back(c);
    } else {
      all_ran = false;
      o.checks.push_back({name, false, "this check never ran", ""});
    }
  }
  bool any_failed = std::any_of(o.checks.begin(), o.checks.end(), [](const Check& c) { return !c.passed; });
  std::string running = running_check(run.out);

  if (run.memory_exceeded) {
    o.verdict = Verdict::memory_limit_exceeded;
    o.message = fmt::format("used {} MiB of memory{}; the limit is {} MiB", run.peak_rss_bytes >> 20,
                            during(running), limits.memory_bytes >> 20);
  } else if (run.timed_out) {
    o.verdict = Verdict::time_limit_exceeded;
    o.message = fmt::format("did not finish within {:.0f} s{} (an endless loop, or work far beyond what the "
                            "checks need?)", limits.cpu_seconds, during(running));
  } else if (run.output_exceeded) {
    o.verdict = Verdict::runtime_error;
    o.message = fmt::format("printed more than {} MiB{}; remove the debug output", limits.output_bytes >> 20,
                            during(running));
  } else if (run.signal != 0) {
    o.verdict = Verdict::runtime_error;
    o.message = fmt::format("crashed with {}{}", signal_name(run.signal), during(running));
    if (run.signal == SIGABRT) o.message += "\n" + last_lines(run.err, 3);
  } else if (!exception.empty()) {
    bool out_of_memory = exception.find("bad_alloc") != std::string::npos ||
                         exception.find("can't allocate memory") != std::string::npos;
    o.verdict = out_of_memory ? Verdict::memory_limit_exceeded : Verdict::runtime_error;
    o.message = out_of_memory ? fmt::format("ran out of memory (the limit is {} MiB): {}", limits.memory_bytes >> 20,
                                            exception)
                              : exception;
  } else if (!all_ran || !report->complete || fs::exists(premature_exit) || (run.exit_code != 0 && !any_failed)) {
    o.verdict = Verdict::runtime_error;
    o.message = fmt::format("the test program stopped before every check had run (exit code {}){}: does your file "
                            "call exit(), abort() or std::terminate?",
                            run.exit_code, during(running));
    if (!run.err.empty()) o.message += "\n" + last_lines(run.err, 3);
  } else if (any_failed) {
    o.verdict = Verdict::wrong_answer;
  } else {
    o.verdict = Verdict::accepted;
  }
  return o;
}

}  // namespace kata

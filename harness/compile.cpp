#include "compile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "sandbox.h"

namespace kata {

const char* kContractHint =
    "Your file must define this exactly as the contract header declares it: same name, namespace kata, "
    "parameter types and const-ness.\n";

namespace {

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} is missing: the build has not finished", path.string()));
  return nlohmann::json::parse(in);
}

// `--gtest_list_tests` prints "Suite." then "  Name" lines.
std::vector<std::string> read_checks(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{} is missing: the build has not finished", path.string()));
  std::vector<std::string> checks;
  std::string line, suite;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') suite = line;
    else checks.push_back(suite + line.substr(line.find_first_not_of(' ')));
  }
  return checks;
}

StepResult run_tool(const std::vector<std::string>& argv) {
  Limits limits;
  limits.cpu_seconds = 120;  // a template bomb in a learner's file must not hang the judge
  limits.wall_seconds = 180;
  limits.memory_bytes = 8LL << 30;
  auto r = run_limited(argv, {{"PATH", "/usr/bin:/bin"}}, limits);
  StepResult step;
  step.ok = r.exit_code == 0 && !r.timed_out && !r.memory_exceeded;
  step.diagnostics = r.err + r.out;
  if (r.timed_out) step.diagnostics += "\n(the compiler was stopped after 120 s)";
  if (r.memory_exceeded) step.diagnostics += "\n(the compiler was stopped: it used more than 8 GiB)";
  step.seconds = r.wall_seconds;
  return step;
}

// One clang diagnostic: its first line ("file:line:col: error: ...") and the source/caret lines after it.
struct Diagnostic {
  std::string file, severity;
  std::vector<std::string> lines;
};

std::vector<Diagnostic> split_diagnostics(const std::string& output) {
  static const std::regex header(R"(^(.+?):\d+:\d+: (fatal error|error|warning|note): .*)");
  std::vector<Diagnostic> diags;
  std::istringstream in(output);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, header)) diags.push_back({m[1], m[2], {line}});
    else if (line.rfind("In file included from", 0) == 0) continue;
    else if (!diags.empty() && diags.back().lines.size() < 4) diags.back().lines.push_back(line.substr(0, 300));
  }
  return diags;
}

// The first few errors, each at the learner's own line: an error inside a torch header is shown with the
// note that points back into the learner's file, instead of the pages of template context around it.
std::string learner_errors(const std::string& output, const fs::path& source) {
  auto diags = split_diagnostics(output);
  std::string kept;
  int errors = 0;
  for (size_t i = 0; i < diags.size() && errors < 3; ++i) {
    const auto& d = diags[i];
    if (d.severity != "error" && d.severity != "fatal error") continue;
    if (d.lines[0].find("too many errors emitted") != std::string::npos) continue;
    ++errors;
    for (const auto& l : d.lines) kept += l + "\n";
    if (d.file == source.string()) continue;
    for (size_t j = i + 1; j < diags.size() && diags[j].severity == "note"; ++j) {
      if (diags[j].file != source.string()) continue;
      for (const auto& l : diags[j].lines) kept += l + "\n";
      break;
    }
  }
  return kept.empty() ? output.substr(0, 4000) : kept;
}

// lld's errors, first few only.
std::string link_errors(const std::string& output) {
  std::istringstream in(output);
  std::string line, kept;
  int shown = 0;
  while (std::getline(in, line) && shown < 5) {
    if (line.find("error:") == std::string::npos) continue;
    kept += line + "\n";
    ++shown;
  }
  return kept.empty() ? output.substr(0, 4000) : kept;
}

bool is_pch_problem(const std::string& diagnostics) {
  for (const char* sign : {"precompiled header", "PCH file", "AST file"})
    if (diagnostics.find(sign) != std::string::npos) return true;
  return false;
}

}  // namespace

Recipe load_recipe(const fs::path& judge_dir, const std::string& exercise) {
  auto toolchain = read_json(judge_dir / "toolchain.json");
  auto recipe = read_json(judge_dir / exercise / "recipe.json");
  Recipe r;
  r.compiler = toolchain["compiler"];
  r.flags = toolchain["flags"].get<std::vector<std::string>>();
  r.pch_lite = toolchain["pch"]["lite"].get<std::string>();
  r.pch_full = toolchain["pch"]["full"].get<std::string>();
  r.shadow_dir = toolchain["shadow"].get<std::string>();
  r.link = toolchain["link"].get<std::vector<std::string>>();
  r.host = toolchain["host"].get<std::string>();
  r.include_dir = recipe["include"].get<std::string>();
  r.objects = recipe["objects"].get<std::vector<std::string>>();
  r.checks = read_checks(recipe["checks"].get<std::string>());
  return r;
}

// Three tries, fastest first. (1) The lite PCH, with shadow/torch/torch.h standing in for <torch/torch.h>:
// enough for nearly every solution. (2) When that fails, the real <torch/torch.h> with the full PCH, whose
// errors are the ones to show. (3) When a PCH is missing or stale, no PCH at all: slow but sound.
StepResult compile_source(const Recipe& recipe, const fs::path& source, const fs::path& object) {
  std::vector<std::string> argv = {recipe.compiler};
  argv.insert(argv.end(), recipe.flags.begin(), recipe.flags.end());
  argv.insert(argv.end(), {"-fno-color-diagnostics", "-ferror-limit=5", "-I", recipe.include_dir.string(), "-c",
                           source.string(), "-o", object.string()});
  auto with = [&](std::vector<std::string> extra) {
    auto args = argv;
    args.insert(args.begin() + 1, extra.begin(), extra.end());
    return args;
  };

  std::string note;
  if (fs::exists(recipe.pch_lite) && fs::exists(recipe.pch_full)) {
    auto fast = run_tool(with({"-include-pch", recipe.pch_lite.string(), "-I", recipe.shadow_dir.string()}));
    if (fast.ok) return fast;
    auto full = run_tool(with({"-include-pch", recipe.pch_full.string()}));
    full.seconds += fast.seconds;
    if (full.ok || !is_pch_problem(full.diagnostics)) {
      if (!full.ok) full.diagnostics = learner_errors(full.diagnostics, source);
      return full;
    }
    note = "the precompiled torch headers did not match this compiler or its headers, so this compile was slow; "
           "the next ./kata call rebuilds them";
  } else {
    note = "the precompiled torch headers are missing, so this compile was slow; the next ./kata call builds them";
  }
  auto step = run_tool(argv);
  if (!step.ok) step.diagnostics = learner_errors(step.diagnostics, source);
  step.note = note;
  return step;
}

StepResult link_checks(const Recipe& recipe, const fs::path& object, const fs::path& shared_object) {
  std::vector<std::string> argv = {recipe.compiler, object.string()};
  argv.insert(argv.end(), recipe.objects.begin(), recipe.objects.end());
  argv.insert(argv.end(), recipe.link.begin(), recipe.link.end());
  argv.insert(argv.end(), {"-o", shared_object.string()});
  auto step = run_tool(argv);
  if (!step.ok) step.diagnostics = link_errors(step.diagnostics);
  return step;
}

}  // namespace kata

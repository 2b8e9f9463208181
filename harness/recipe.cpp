#include "recipe.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace kata {
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
    if (line[0] != ' ')
      suite = line;
    else
      checks.push_back(suite + line.substr(line.find_first_not_of(' ')));
  }
  return checks;
}

}  // namespace

std::vector<std::string> editor_flags(const fs::path& judge_dir, const std::vector<fs::path>& contract_dirs) {
  std::ifstream in(judge_dir / "toolchain.json");
  if (!in) return {};
  auto toolchain = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (toolchain.is_discarded() || !toolchain.contains("flags")) return {};
  std::vector<std::string> flags = {"-xc++"};
  for (const auto& f : toolchain["flags"]) flags.push_back(f.get<std::string>());
  for (const auto& dir : contract_dirs) flags.push_back("-I" + dir.string());
  return flags;
}

Recipe load_recipe(const fs::path& judge_dir, const std::string& exercise) {
  auto toolchain = read_json(judge_dir / "toolchain.json");
  auto recipe = read_json(judge_dir / exercise / "recipe.json");
  Recipe r;
  r.compiler = toolchain["compiler"];
  r.flags = toolchain["flags"].get<std::vector<std::string>>();
  r.pch_sources = toolchain["pch_sources"].get<std::string>();
  r.pch_lite = toolchain["pch"]["lite"].get<std::string>();
  r.pch_full = toolchain["pch"]["full"].get<std::string>();
  r.pch_runtime = toolchain["pch"]["runtime"].get<std::string>();
  r.pch_runtime_stub = toolchain["pch"]["runtime_stub"].get<std::string>();
  r.pch_reach = toolchain["pch"]["reach"].get<std::string>();
  r.shadow_dir = toolchain["shadow"].get<std::string>();
  r.linker = toolchain["link"]["linker"].get<std::string>();
  r.link_before = toolchain["link"]["before"].get<std::vector<std::string>>();
  r.link_after = toolchain["link"]["after"].get<std::vector<std::string>>();
  r.host = toolchain["host"].get<std::string>();
  r.compile_service = toolchain.value("compile_service", "");
  r.contract = recipe["contract"].get<std::string>();
  r.checks_library = recipe["checks_library"].get<std::string>();
  r.worker_objects = recipe["worker_objects"].get<std::vector<std::string>>();
  r.checks = read_checks(recipe["checks"].get<std::string>());
  r.mistakes = recipe.value("mistakes", "");
  r.cases = recipe.value("cases", "");
  return r;
}

}  // namespace kata

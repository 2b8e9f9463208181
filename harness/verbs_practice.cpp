// The practice verbs: list, show, start, hint, reset, solution.
#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli.h"
#include "table.h"

namespace kata {
namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct ExerciseOptions {
  std::string id;
  bool json = false;
  bool yes = false;
};

// Adds the exercise id argument and --json; the options outlive parsing because the callback owns them.
std::shared_ptr<ExerciseOptions> exercise_options(CLI::App* cmd) {
  auto opt = std::make_shared<ExerciseOptions>();
  cmd->add_option("id", opt->id, "exercise id")->required();
  cmd->add_flag("--json", opt->json, "one JSON object");
  return opt;
}

std::string status_of(const std::map<std::string, std::string>& judged, const Workspace& ws, const Exercise& e) {
  if (auto it = judged.find(e.id); it != judged.end()) return it->second;
  return fs::exists(ws.attempt(e.id)) ? "attempted" : "new";
}

struct HintLevel {
  int level;
  std::optional<int64_t> round;  // the mock round that counted this hint
};

// During a mock round on the exercise, hints are the round's: they start again from the first and count
// against the round, as `h` does in ./kata mock. Past the last hint, the last one is shown again, uncounted.
HintLevel next_hint(const Context& ctx, const Exercise& e) {
  auto store = ctx.store();
  int available = static_cast<int>(e.hints.size());
  auto round = store.active_round();
  if (!round || std::find(round->exercises.begin(), round->exercises.end(), e.id) == round->exercises.end())
    return {store.next_hint(e.id, available), std::nullopt};
  if (auto level = store.next_round_hint(round->id, e.id, available)) return {*level, round->id};
  return {available, std::nullopt};
}

}  // namespace

void setup_list(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("list", "the exercises and your progress on each");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "one JSON object");
  cmd->callback([&ctx, json] {
    auto catalogue = ctx.catalogue();
    auto judged = ctx.store().statuses();
    auto ws = ctx.workspace();
    for (const auto& b : catalogue.broken())
      fmt::print(stderr, "warning: exercise {} is left out: {}\n", b.id, b.problem);
    if (*json) {
      auto out = nlohmann::json::array();
      for (const auto& e : catalogue.all())
        out.push_back({{"id", e.id},
                       {"title", e.title},
                       {"topic", e.topic},
                       {"difficulty", e.difficulty},
                       {"minutes", e.minutes},
                       {"status", status_of(judged, ws, e)}});
      fmt::print("{}\n", nlohmann::json{{"exercises", out}}.dump(2));
      return;
    }
    // Grouped by topic, each topic a row of its own: the titles get the width a topic column would take.
    std::map<std::string, std::vector<const Exercise*>> by_topic;
    for (const auto& e : catalogue.all()) by_topic[e.topic].push_back(&e);
    Table table({{"id"}, {"title", Table::Align::left, 1}, {"level"}, {"min", Table::Align::right}, {"status"}});
    for (const auto& [topic, exercises] : by_topic) {
      table.add({topic + ":", "", "", "", ""});
      for (const auto* e : exercises) {
        std::string status = status_of(judged, ws, *e);
        if (ctx.color() && status == "solved")
          status = fmt::format(fmt::fg(fmt::terminal_color::green), "{}", status);
        table.add({"  " + e->id, e->title, e->difficulty, std::to_string(e->minutes), status});
      }
    }
    fmt::print("{}\n{}", readiness_summary(ctx, catalogue), table.render());
  });
}

void setup_show(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("show", "the statement of an exercise and the file to edit");
  auto opt = exercise_options(cmd);
  cmd->callback([&ctx, opt] {
    auto catalogue = ctx.catalogue();
    const auto& e = ctx.exercise(catalogue, opt->id);
    auto file = ctx.workspace().attempt(e.id);
    if (opt->json) {
      fmt::print("{}\n", nlohmann::json{{"id", e.id},
                                        {"title", e.title},
                                        {"statement", read_file(e.statement())},
                                        {"contract", e.contract().string()},
                                        {"file", file.string()},
                                        {"file_exists", fs::exists(file)}}
                             .dump(2));
      return;
    }
    fmt::print("{}\n", read_file(e.statement()));
    fmt::print("contract: {}\n", e.contract().string());
    if (fs::exists(file))
      fmt::print("your file: {}\n", file.string());
    else
      fmt::print("your file: {} (not created yet: ./kata start {})\n", file.string(), e.id);
    fmt::print("editor: nothing to set up; clangd (VS Code, vim, Emacs...) reads\n"
               "  compile_flags.txt beside your file for LibTorch completion\n");
  });
}

void setup_start(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("start", "create your attempt file from the stub (kept if it exists)");
  auto opt = exercise_options(cmd);
  cmd->callback([&ctx, opt] {
    auto catalogue = ctx.catalogue();
    const auto& e = ctx.exercise(catalogue, opt->id);
    auto ws = ctx.workspace();
    bool created = ws.copy_stub(e, ws.attempt(e.id));
    if (opt->json) {
      fmt::print("{}\n",
                 nlohmann::json{{"id", e.id}, {"file", ws.attempt(e.id).string()}, {"created", created}}.dump(2));
      return;
    }
    fmt::print("{} {}\n", created ? "created" : "already there, kept:", ws.attempt(e.id).string());
    fmt::print("statement: {}\nwhen ready: ./kata judge {}   (or ./kata watch {} to judge on every save)\n",
               e.statement().string(), e.id, e.id);
  });
}

void setup_hint(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("hint", "the next hint for an exercise (counted in a mock round)");
  auto opt = exercise_options(cmd);
  cmd->callback([&ctx, opt] {
    auto catalogue = ctx.catalogue();
    const auto& e = ctx.exercise(catalogue, opt->id);
    auto [level, round] = next_hint(ctx, e);
    if (opt->json) {
      nlohmann::json out{{"id", e.id}, {"level", level}, {"of", e.hints.size()}, {"hint", e.hints[level - 1]}};
      if (round) out["round_id"] = *round;
      fmt::print("{}\n", out.dump(2));
      return;
    }
    for (int i = 0; i < level; ++i)
      fmt::print("{}", hanging(fmt::format("hint {}/{}: ", i + 1, e.hints.size()), e.hints[i]));
    if (level == static_cast<int>(e.hints.size())) fmt::print("(that was the last hint)\n");
    if (round) fmt::print("(counted in mock round {})\n", *round);
  });
}

void setup_reset(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("reset", "start the attempt again from the stub, keeping a backup");
  auto opt = exercise_options(cmd);
  cmd->callback([&ctx, opt] {
    auto catalogue = ctx.catalogue();
    const auto& e = ctx.exercise(catalogue, opt->id);
    auto ws = ctx.workspace();
    auto backup = ws.reset(e);
    if (opt->json) {
      fmt::print(
          "{}\n",
          nlohmann::json{{"id", e.id}, {"file", ws.attempt(e.id).string()}, {"backup", backup.string()}}.dump(2));
      return;
    }
    if (!backup.empty()) fmt::print("your previous attempt is saved as {}\n", backup.string());
    fmt::print("{} is the stub again\n", ws.attempt(e.id).string());
  });
}

void setup_solution(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("solution", "print the reference solution (asks first)");
  auto opt = std::make_shared<ExerciseOptions>();
  cmd->add_option("id", opt->id, "exercise id")->required();
  cmd->add_flag("--yes,-y", opt->yes, "do not ask");
  cmd->callback([&ctx, opt] {
    auto catalogue = ctx.catalogue();
    const auto& e = ctx.exercise(catalogue, opt->id);
    if (!opt->yes && !isatty(STDIN_FILENO))  // nobody to ask: a script must say so
      throw UsageError("no terminal to ask whether to show the solution: pass --yes");
    if (!opt->yes) {
      fmt::print(stderr, "Show the reference solution for {}? It spoils the exercise. [y/N] ", e.id);
      std::string answer;
      if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
        fmt::print(stderr, "not shown\n");
        return;
      }
    }
    fmt::print("{}", read_file(e.reference()));
  });
}

}  // namespace kata

// `kata progress`: the catalogue against the readiness checklist interviewers use, and what to practise
// next (unsolved items first, then the slowest under a mock round's clock, then the oldest solve).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "cli.h"
#include "table.h"

namespace kata {
namespace {

// Ordered from least to most done.
enum class State { coming, new_, attempted, solved, solved_in_round };

std::string state_name(State s) {
  switch (s) {
    case State::coming:
      return "not written yet";
    case State::new_:
      return "not started";
    case State::attempted:
      return "attempted";
    case State::solved:
      return "solved";
    case State::solved_in_round:
      return "solved in a round";
  }
  return "";
}

std::string clock(double seconds) {
  auto s = static_cast<int64_t>(std::lround(seconds));
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

struct ItemProgress {
  const ChecklistItem* item;  // in the checklist, which outlives this
  std::vector<const Exercise*> available;  // in the catalogue
  std::vector<std::string> planned;        // named by the checklist, not written yet
  State state = State::coming;
  std::optional<double> best_round_seconds;
};

State state_of(const Exercise& e, const std::map<std::string, ExerciseRecord>& records, const Workspace& ws) {
  auto it = records.find(e.id);
  if (it == records.end()) return fs::exists(ws.attempt(e.id)) ? State::attempted : State::new_;
  if (it->second.best_round_seconds) return State::solved_in_round;
  return it->second.solved ? State::solved : State::attempted;
}

std::vector<ItemProgress> progress_of(const std::vector<ChecklistItem>& checklist, const Catalogue& catalogue,
                                      const std::map<std::string, ExerciseRecord>& records, const Workspace& ws) {
  std::vector<ItemProgress> items;
  for (const auto& item : checklist) {
    ItemProgress p{&item, {}, {}, State::coming, std::nullopt};
    for (const auto& id : item.exercises) {
      const Exercise* e = catalogue.find(id);
      if (!e) {
        p.planned.push_back(id);
        continue;
      }
      p.available.push_back(e);
      p.state = std::max(p.state, state_of(*e, records, ws));
      if (auto it = records.find(id); it != records.end() && it->second.best_round_seconds)
        p.best_round_seconds = std::min(p.best_round_seconds.value_or(INFINITY), *it->second.best_round_seconds);
    }
    items.push_back(p);
  }
  return items;
}

struct Suggestion {
  const Exercise* exercise = nullptr;
  std::string reason, command;
};

// Spaced repetition over exercises: one never solved (checklist order), else one solved but never under a
// round's clock, else the one slowest against its expected minutes, ties to the oldest solve.
Suggestion next_exercise(const std::vector<ItemProgress>& items, const std::map<std::string, ExerciseRecord>& records,
                         const Workspace& ws) {
  for (const auto& item : items)
    for (const auto* e : item.available)
      if (state_of(*e, records, ws) < State::solved)
        return {e, fmt::format("{}: not solved yet", item.item->name), "./kata start " + e->id};
  Suggestion best;
  auto key = [&](const Exercise* e) {
    const auto& r = records.at(e->id);
    double slowness = r.best_round_seconds ? *r.best_round_seconds / (60.0 * e->minutes) : INFINITY;
    return std::make_pair(-slowness, r.last_solved.value_or(0));
  };
  for (const auto& item : items)
    for (const auto* e : item.available)
      if (!best.exercise || key(e) < key(best.exercise)) best.exercise = e;
  if (!best.exercise) return best;
  const auto& r = records.at(best.exercise->id);
  best.command = "./kata mock --exercise " + best.exercise->id;
  best.reason = r.best_round_seconds
                    ? fmt::format("solved in a round in {}, the slowest against its {} minutes",
                                  clock(*r.best_round_seconds), best.exercise->minutes)
                    : "solved, but never under a mock round's clock";
  return best;
}

nlohmann::json to_json(const std::vector<ItemProgress>& items, const Suggestion& next) {
  auto out = nlohmann::json::array();
  for (const auto& p : items) {
    std::vector<std::string> ids;
    for (const auto* e : p.available) ids.push_back(e->id);
    out.push_back({{"name", p.item->name},
                   {"exercises", ids},
                   {"planned", p.planned},
                   {"status", state_name(p.state)},
                   {"best_round_seconds", p.best_round_seconds ? nlohmann::json(*p.best_round_seconds)
                                                               : nlohmann::json()}});
  }
  nlohmann::json suggestion;
  if (next.exercise)
    suggestion = {{"exercise", next.exercise->id}, {"reason", next.reason}, {"command", next.command}};
  return {{"items", out}, {"next", suggestion}};
}

std::string render(const std::vector<ItemProgress>& items, const Suggestion& next) {
  Table table({{"checklist item", Table::Align::left, 1}, {"exercises", Table::Align::left, 2}, {"status"}});
  for (const auto& p : items) {
    std::vector<std::string> ids;
    for (const auto* e : p.available) ids.push_back(e->id);
    std::string status = state_name(p.state);
    if (p.best_round_seconds) status += " " + clock(*p.best_round_seconds);
    table.add({p.item->name, ids.empty() ? "-" : fmt::format("{}", fmt::join(ids, " ")), status});
  }
  std::string out = table.render();
  if (next.exercise) out += fmt::format("\nnext: {}\n", next.command) + hanging("      ", next.reason);
  return out;
}

}  // namespace

std::string readiness_summary(const Context& ctx, const Catalogue& catalogue) {
  auto checklist = load_checklist(ctx.source_dir / "exercises" / "checklist.toml");
  auto items = progress_of(checklist, catalogue, ctx.store().records(), ctx.workspace());
  auto solved = std::count_if(items.begin(), items.end(), [](const auto& p) { return p.state >= State::solved; });
  return fmt::format("readiness: {} of {} checklist items solved (./kata progress for the map)", solved,
                     items.size());
}

void setup_progress(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("progress", "the interview readiness checklist, and what to practise next");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "one JSON object");
  cmd->callback([&ctx, json] {
    auto catalogue = ctx.catalogue();
    auto records = ctx.store().records();
    auto ws = ctx.workspace();
    auto checklist = load_checklist(ctx.source_dir / "exercises" / "checklist.toml");
    auto items = progress_of(checklist, catalogue, records, ws);
    auto next = next_exercise(items, records, ws);
    if (*json)
      fmt::print("{}\n", to_json(items, next).dump(2));
    else
      fmt::print("{}", render(items, next));
  });
}

}  // namespace kata

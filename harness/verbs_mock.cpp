// The mock-round verbs: `mock` (interactive), its scriptable steps start/status/submit/abandon, and history.
#include <fmt/color.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "cli.h"
#include "mock.h"
#include "mock_session.h"
#include "report.h"
#include "table.h"

namespace kata {
namespace {

struct MockOptions {
  std::vector<std::string> exercises;
  std::string topic;
  std::optional<double> minutes;
  std::string round;  // a multi-part round of exercises/rounds.toml
  bool json = false;
};

// More than two exercises would not fit one interview; a pair makes a longer round.
constexpr size_t kMaxExercises = 2;

// A round of 0 minutes or less would be over before it began.
const CLI::Validator kMinutes(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      double minutes = std::strtod(text.c_str(), &end);
      if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(minutes) && minutes > 0) return "";
      return fmt::format("'{}' is not a length: a round lasts more than 0 minutes", text);
    },
    "MINUTES");

// The round asked for: one exercise or two, each named once (CLI11 has split ID,ID at the comma).
RoundRequest request_of(const MockOptions& opt) {
  std::vector<std::string> ids;
  for (const auto& id : opt.exercises) {
    if (id.empty()) continue;
    if (std::find(ids.begin(), ids.end(), id) != ids.end())
      throw UsageError(fmt::format("--exercise names {} twice", id));
    ids.push_back(id);
  }
  if (ids.size() > kMaxExercises)
    throw UsageError(fmt::format("a round takes one exercise or two, not {}: {}", ids.size(), fmt::join(ids, ", ")));
  if (!opt.round.empty() && (!ids.empty() || !opt.topic.empty()))
    throw UsageError("--round names a round with its own exercises: leave out --exercise and --topic");
  return {ids, opt.topic, opt.minutes, opt.round};
}

// The files of the open parts (every exercise of a plain round).
nlohmann::json files_of(const Context& ctx, const Round& r) {
  auto files = nlohmann::json::object();
  for (const auto& id : r.exercises)
    if (part_open(ctx, r, id)) files[id] = ctx.workspace().round_file(r.id, id).string();
  return files;
}

// The first exercise's file as `file`, every file under `files` (a round may pair two exercises).
nlohmann::json round_json(const Context& ctx, const Round& r) {
  return {{"round_id", r.id},
          {"exercises", r.exercises},
          {"file", ctx.workspace().round_file(r.id, r.exercises.front()).string()},
          {"files", files_of(ctx, r)},
          {"round", r.plan.empty() ? nlohmann::json() : nlohmann::json(r.plan)},
          {"started", r.started},
          {"deadline", r.deadline}};
}

// "part 2/3: <prompt>" for each part of a multi-part round, open or not; empty for a plain round.
std::string parts_text(const Context& ctx, const Round& r) {
  auto plan = plan_of(ctx, r);
  if (!plan) return "";
  std::string out;
  for (size_t i = 0; i < plan->parts.size(); ++i) {
    const auto& part = plan->parts[i];
    bool open = part_open(ctx, r, part.exercise);
    out += hanging(fmt::format("  part {}/{} ({}): ", i + 1, plan->parts.size(), part.exercise),
                   open ? part.prompt : "opens when the part before it is accepted");
    if (open) out += fmt::format("    edit {}\n", ctx.workspace().round_file(r.id, part.exercise).string());
  }
  return out;
}

double remaining(const Round& r) { return std::max(0.0, r.deadline - now_seconds()); }

void print(const Context&, bool json, const nlohmann::json& j, const std::string& human) {
  if (json)
    fmt::print("{}\n", j.dump(2));
  else
    fmt::print("{}", human);
}

void run_start(Context& ctx, const MockOptions& opt) {
  auto request = request_of(opt);
  StepDisplay display(display_mode(opt.json));
  if (auto expired = finish_if_expired(ctx, display))
    fmt::print(stderr, "mock round {} ran out of time; judged as last saved: {}\n", expired->round.id,
               round_verdict(*expired));
  auto r = start_round(ctx, request);
  std::string human =
      fmt::format("mock round {} started: {}\n", r.id, counted((r.deadline - r.started) / 60, "minute"));
  if (!r.plan.empty())
    human += parts_text(ctx, r);
  else
    for (const auto& id : r.exercises)
      human += fmt::format("  {}: edit {}\n", id, ctx.workspace().round_file(r.id, id).string());
  human += "hand it in with ./kata mock submit; ./kata mock shows the clock and judges on save\n";
  print(ctx, opt.json, round_json(ctx, r), human);
}

void run_status(Context& ctx, const MockOptions& opt) {
  auto r = active_round(ctx);
  auto j = round_json(ctx, r);
  j["remaining_s"] = remaining(r);
  j["expired"] = remaining(r) <= 0;
  j["judge_runs"] = r.judge_runs;
  j["hints"] = r.hints;
  print(ctx, opt.json, j,
        fmt::format("mock round {} ({}): {} left, {}, {}\n", r.id, fmt::join(r.exercises, ", "),
                    format_clock(remaining(r)), counted(r.judge_runs, "judge run"), counted(r.hints, "hint")) +
            parts_text(ctx, r));
}

nlohmann::json submission_json(const Context& ctx, const Submission& s) {
  auto j = round_json(ctx, s.round);
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& judgement : s.judgements) {
    auto report = to_json(judgement);
    for (const auto& c : report["checks"]) checks.push_back(c);
  }
  j.update({{"verdict", round_verdict(s)},
            {"unreached", s.unreached},
            {"elapsed_s", *s.round.ended - s.round.started},
            {"within_time", s.round.within_time},
            {"judge_runs", s.round.judge_runs},
            {"hints", s.round.hints},
            {"checks", checks}});
  return j;
}

void run_submit(Context& ctx, const MockOptions& opt) {
  auto round = active_round(ctx);
  StepDisplay display(display_mode(opt.json));
  auto s = submit_round(ctx, round, display);
  print(ctx, opt.json, submission_json(ctx, s), scorecard(ctx, s, ctx.color()));
  ctx.exit_code = round_verdict(s) == "accepted" ? 0 : 1;
}

void run_abandon(Context& ctx, const MockOptions& opt) {
  auto r = active_round(ctx);
  abandon_round(ctx, r);
  print(ctx, opt.json, {{"round_id", r.id}, {"verdict", "abandoned"}}, fmt::format("mock round {} abandoned\n", r.id));
}

std::string sparkline(const std::vector<double>& values) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::string line;
  for (double v : values) line += bars[*hi > *lo ? static_cast<int>((v - *lo) / (*hi - *lo) * 7) : 3];
  return line;
}

// Minutes to solve each exercise, the most recent rounds only so that the line fits the screen.
std::string trends(const std::map<std::string, std::vector<double>>& solve_times) {
  constexpr size_t kRecent = 20;
  Table table({{"exercise", Table::Align::left, 1},
               {"minutes to solve"},
               {"last", Table::Align::right},
               {"best", Table::Align::right}});
  for (const auto& [exercises, minutes] : solve_times) {
    std::vector<double> recent(minutes.end() - std::min(minutes.size(), kRecent), minutes.end());
    table.add({exercises, sparkline(recent), fmt::format("{:.1f}", minutes.back()),
               fmt::format("{:.1f}", *std::min_element(minutes.begin(), minutes.end()))});
  }
  return table.render();
}

void run_history(Context& ctx, bool json) {
  auto rounds = ctx.store().rounds();
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& r : rounds)
      out.push_back({{"round_id", r.id},
                     {"exercise", fmt::format("{}", fmt::join(r.exercises, ","))},
                     {"started", r.started},
                     {"verdict", r.verdict.empty() ? "active" : r.verdict},
                     {"within_time", r.within_time},
                     {"elapsed_s", r.ended ? *r.ended - r.started : now_seconds() - r.started},
                     {"hints", r.hints},
                     {"judge_runs", r.judge_runs}});
    fmt::print("{}\n", nlohmann::json{{"rounds", out}}.dump(2));
    return;
  }
  if (rounds.empty()) {
    fmt::print("no mock rounds yet: ./kata mock starts one\n");
    return;
  }
  using Align = Table::Align;
  Table table({{"round", Align::right},
               {"exercise", Align::left, 1},
               {"started", Align::left, 2},
               {"verdict"},
               {"time", Align::right},
               {"runs", Align::right},
               {"hints", Align::right},
               {"in time"}});
  std::map<std::string, std::vector<double>> solve_times;
  for (const auto& r : rounds) {
    double elapsed = (r.ended ? *r.ended : now_seconds()) - r.started;
    std::string exercises = fmt::format("{}", fmt::join(r.exercises, ", "));
    table.add({std::to_string(r.id), exercises, format_date(r.started), r.verdict.empty() ? "active" : r.verdict,
               format_clock(elapsed), std::to_string(r.judge_runs), std::to_string(r.hints),
               r.verdict.empty() ? "" : (r.within_time ? "yes" : "no")});
    if (r.verdict == "accepted") solve_times[exercises].push_back(elapsed / 60);
  }
  fmt::print("{}", table.render());
  if (ctx.stdout_is_terminal() && !solve_times.empty()) fmt::print("\n{}", trends(solve_times));
}

}  // namespace

void setup_mock(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<MockOptions>();
  auto* mock = app.add_subcommand("mock", "a timed mock round: the clock, judging on save, then a scorecard");
  auto add_round_options = [&](CLI::App* cmd) {
    cmd->add_option("--exercise", opt->exercises, "at most two ids, as ID,ID (default: one not solved recently)")
        ->delimiter(',');
    cmd->add_option("--topic", opt->topic, "pick among this topic's exercises");
    cmd->add_option("--minutes", opt->minutes, "length of the round (default 45, or the round's; decimals ok)")
        ->check(kMinutes);
    cmd->add_option("--round", opt->round, "a multi-part round: implementation, transformer, debugging, ...");
  };
  add_round_options(mock);
  mock->require_subcommand(0, 1);

  auto* start = mock->add_subcommand("start", "start a round without the interactive clock");
  add_round_options(start);
  start->add_flag("--json", opt->json, "one JSON object");
  start->callback([&ctx, opt] { run_start(ctx, *opt); });

  auto* status = mock->add_subcommand("status", "the active round and its remaining time");
  status->add_flag("--json", opt->json, "one JSON object");
  status->callback([&ctx, opt] { run_status(ctx, *opt); });

  auto* submit = mock->add_subcommand("submit", "judge the round's files as saved and close the round");
  submit->add_flag("--json", opt->json, "one JSON object");
  submit->callback([&ctx, opt] { run_submit(ctx, *opt); });

  auto* abandon = mock->add_subcommand("abandon", "give up the active round");
  abandon->add_flag("--json", opt->json, "one JSON object");
  abandon->callback([&ctx, opt] { run_abandon(ctx, *opt); });

  mock->callback([&ctx, opt, mock] {
    if (mock->get_subcommands().empty()) ctx.exit_code = run_session(ctx, request_of(*opt));
  });
}

void setup_history(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("history", "every mock round, and your time-to-solve trend");
  cmd->add_flag("--json", *json, "one JSON object");
  cmd->callback([&ctx, json] { run_history(ctx, *json); });
}

}  // namespace kata

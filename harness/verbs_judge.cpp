// The judging verbs: judge (once) and watch (on every save).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <csignal>
#include <utility>

#include "cli.h"
#include "file_watch.h"
#include "judging.h"
#include "mock.h"
#include "progress.h"
#include "report.h"

namespace kata {
namespace {

struct JudgeOptions {
  std::string id;
  std::string source;
  std::optional<uint64_t> seed;
  bool json = false;
  bool verbose = false;
};

// The file to judge, and what its verdicts count towards: the learner's attempt (created from the stub
// when missing) counts for practice, the active round's file for the round, and any other file for nothing,
// so judging the reference or a colleague's file never marks an exercise solved.
struct Target {
  fs::path source;
  bool recorded = true;
  std::optional<int64_t> round;
  bool created = false;  // from the stub, just now
};

bool same_file(const fs::path& a, const fs::path& b) { return fs::weakly_canonical(a) == fs::weakly_canonical(b); }

Target target_of(const Context& ctx, const Exercise& e, const std::string& source_option) {
  auto ws = ctx.workspace();
  if (source_option.empty()) {
    bool created = ws.copy_stub(e, ws.attempt(e.id));
    ws.editor_support(ws.attempt(e.id).parent_path());  // also for attempts made before editors were set up
    return {ws.attempt(e.id), true, std::nullopt, created};
  }
  fs::path source = fs::absolute(source_option);
  if (fs::is_directory(source))
    throw UsageError(fmt::format("{} is a directory: pass the .cpp file to judge", source.string()));
  if (same_file(source, ws.attempt(e.id))) return {source, true, std::nullopt, false};
  if (auto round = ctx.store().active_round(); round && same_file(source, ws.round_file(round->id, e.id)))
    return {source, true, round->id, false};
  return {source, false, std::nullopt, false};
}

// The path on a line of its own: a workspace's path can be most of a terminal's width.
std::string created_note(const Target& t, const char* then) {
  return fmt::format("no attempt yet: created from the stub\n  {}\n{}\n", t.source.string(), then);
}

Judgement judge_target(const Context& ctx, const Exercise& e, const Target& t, uint64_t seed, StepDisplay& display) {
  if (t.recorded) return judge_and_record(ctx, e, t.source, seed, t.round, display);
  return judge_file(ctx, e, t.source, seed, display);
}

// In a multi-part round, an accepted part opens the next: what the interviewer says now, or nullopt.
std::optional<std::string> opened_part(const Context& ctx, const Target& t, const Exercise& e, const Judgement& j) {
  if (!t.round) return std::nullopt;
  auto round = ctx.store().active_round();
  if (!round || round->id != *t.round) return std::nullopt;
  return open_next_part(ctx, *round, e.id, j.verdict);
}

constexpr const char* kNotRecorded = "not recorded: only your attempt, or a mock round's file, counts as progress";

void run_judge(Context& ctx, const JudgeOptions& opt) {
  auto catalogue = ctx.catalogue();
  const auto& e = ctx.exercise(catalogue, opt.id);
  auto target = target_of(ctx, e, opt.source);
  if (target.created) fmt::print(stderr, "{}", created_note(target, "edit it and judge again"));
  StepDisplay display(display_mode(opt.json));
  auto j = judge_target(ctx, e, target, opt.seed.value_or(random_seed()), display);
  display.finish();
  auto opened = opened_part(ctx, target, e, j);
  if (opt.json) {
    auto out = to_json(j);
    out["recorded"] = target.recorded;
    out["opened"] = opened ? nlohmann::json(*opened) : nlohmann::json();
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("{}", render(j, {ctx.color(), false, opt.verbose}));
    if (!target.recorded) fmt::print("{}\n", kNotRecorded);
    if (opened) fmt::print("{}\n", *opened);
  }
  ctx.exit_code = j.verdict == Verdict::accepted ? 0 : 1;
}

// Seeds as verdicts print them, in decimal. CLI11 reads integers with strtoull, which would take "-1" as
// 18446744073709551615 and "010" as 8; the validator passes on the number it read, so "010" is 10.
const CLI::Validator kSeed(
    [](std::string& text) -> std::string {
      uint64_t seed = 0;
      auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), seed);
      if (err != std::errc() || end != text.data() + text.size())
        return fmt::format("'{}' is not a seed: seeds are whole numbers, 0 or more", text);
      text = std::to_string(seed);
      return "";
    },
    "SEED");

volatile std::sig_atomic_t g_interrupted = 0;

void run_watch(Context& ctx, const JudgeOptions& opt) {
  auto catalogue = ctx.catalogue();
  const auto& e = ctx.exercise(catalogue, opt.id);
  auto target = target_of(ctx, e, opt.source);
  // Shown under the first verdict, since the screen is cleared for each one.
  std::string note = target.created ? created_note(target, "edit it, and every save is judged") : "";
  require_source(e, target.source);
  FileWatch watch(target.source);
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  bool terminal = ctx.stdout_is_terminal(), color = ctx.color();
  while (!g_interrupted) {
    StepDisplay display(display_mode(false));
    auto j = judge_target(ctx, e, target, opt.seed.value_or(random_seed()), display);
    display.finish();
    auto opened = opened_part(ctx, target, e, j);
    if (terminal) fmt::print("\033[2J\033[H");
    fmt::print("{} ({}/{} checks passed)\n", verdict_label(j.verdict, {color, true}), j.checks_passed(),
               j.checks.size());
    fmt::print("{}", render(j, {color, true}));
    if (!target.recorded) fmt::print("{}\n", kNotRecorded);
    if (opened) fmt::print("{}\n", *opened);
    fmt::print("{}", std::exchange(note, ""));
    fmt::print("watching {}\nsave to judge again, Ctrl-C to stop\n", target.source.string());
    std::fflush(stdout);
    while (!g_interrupted && !watch.changed(/*timeout_ms=*/250)) {
    }
  }
  fmt::print("\nstopped watching\n");
}

}  // namespace

void setup_judge(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<JudgeOptions>();
  auto* cmd = app.add_subcommand("judge", "compile your file, run the hidden tests, explain the verdict");
  cmd->add_option("id", opt->id, "exercise id")->required();
  cmd->add_option("--source", opt->source, "judge this file instead of your attempt");
  cmd->add_option("--seed", opt->seed, "fix the inputs' seed (printed with every verdict)")->transform(kSeed);
  cmd->add_flag("--json", opt->json, "one JSON object");
  cmd->add_flag("--verbose,-v", opt->verbose, "explain every failed check, with all its findings");
  cmd->callback([&ctx, opt] { run_judge(ctx, *opt); });
}

void setup_watch(CLI::App& app, Context& ctx) {
  auto opt = std::make_shared<JudgeOptions>();
  auto* cmd = app.add_subcommand("watch", "judge again on every save of your file");
  cmd->add_option("id", opt->id, "exercise id")->required();
  cmd->add_option("--source", opt->source, "watch this file instead of your attempt");
  cmd->add_option("--seed", opt->seed, "fix the inputs' seed")->transform(kSeed);
  cmd->callback([&ctx, opt] { run_watch(ctx, *opt); });
}

}  // namespace kata

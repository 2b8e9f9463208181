// The judging verbs: judge (once) and watch (on every save).
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <charconv>
#include <csignal>

#include "cli.h"
#include "judging.h"
#include "progress.h"
#include "report.h"

namespace kata {
namespace {

struct JudgeOptions {
  std::string id;
  std::string source;
  std::optional<uint64_t> seed;
  bool json = false;
};

void run_judge(Context& ctx, const JudgeOptions& opt) {
  auto catalogue = ctx.catalogue();
  const auto& e = ctx.exercise(catalogue, opt.id);
  fs::path source = opt.source.empty() ? ctx.workspace().attempt(e.id) : fs::absolute(opt.source);
  if (opt.source.empty() && ctx.workspace().copy_stub(e, source))
    fmt::print(stderr, "no attempt yet: created {} from the stub; edit it and judge again\n", source.string());
  StepDisplay display(display_mode(opt.json));
  auto j = judge_and_record(ctx, e, source, opt.seed.value_or(random_seed()), std::nullopt, display);
  display.finish();
  if (opt.json) fmt::print("{}\n", to_json(j).dump(2));
  else fmt::print("{}", render(j, {ctx.color(), false}));
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
  fs::path source = opt.source.empty() ? ctx.workspace().attempt(e.id) : fs::absolute(opt.source);
  require_source(e, source);
  FileWatch watch(source);
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  bool terminal = ctx.stdout_is_terminal(), color = ctx.color();
  while (!g_interrupted) {
    StepDisplay display(display_mode(false));
    auto j = judge_and_record(ctx, e, source, opt.seed.value_or(random_seed()), std::nullopt, display);
    display.finish();
    if (terminal) fmt::print("\033[2J\033[H");
    fmt::print("{} ({}/{} checks passed)\n", verdict_label(j.verdict, {color, true}), j.checks_passed(),
               j.checks.size());
    fmt::print("{}", render(j, {color, true}));
    fmt::print("watching {} — save to judge again, Ctrl-C to stop\n", source.string());
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

#include "mock_session.h"

#include <fmt/chrono.h>
#include <fmt/color.h>
#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <memory>

#include "judging.h"
#include "report.h"

namespace kata {
namespace {

volatile std::sig_atomic_t g_stop = 0;

// Keys arrive one at a time and unechoed while the round runs; the terminal is restored however it ends.
class RawTerminal {
 public:
  RawTerminal() {
    tcgetattr(STDIN_FILENO, &saved_);
    termios raw = saved_;
    raw.c_lflag &= ~(ICANON | ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    fmt::print("\033[?25l");  // hide the cursor
  }
  ~RawTerminal() {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    fmt::print("\033[?25h");
  }

 private:
  termios saved_{};
};

// A key pressed within timeout_ms, or 0.
char read_key(int timeout_ms) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  char c = 0;
  if (poll(&p, 1, timeout_ms) > 0 && read(STDIN_FILENO, &c, 1) != 1) c = 0;
  return c;
}

struct Session {
  const Context& ctx;
  Round round;
  Catalogue catalogue;
  std::map<std::string, std::unique_ptr<FileWatch>> watches;
  std::map<std::string, Judgement> latest;  // last judgement of each exercise in this round
  std::vector<std::string> shown_hints;
  std::string banner;  // the last warning or event, shown under the clock
  std::vector<int> warnings_left;  // minutes still to warn at

  double remaining() const { return round.deadline - now_seconds(); }
  const Exercise& exercise(const std::string& id) const { return ctx.exercise(catalogue, id); }

  bool all_accepted() const {
    for (const auto& id : round.exercises)
      if (!latest.count(id) || latest.at(id).verdict != Verdict::accepted) return false;
    return true;
  }

  // The exercise that still needs work: hints are for it.
  const std::string& current() const {
    for (const auto& id : round.exercises)
      if (!latest.count(id) || latest.at(id).verdict != Verdict::accepted) return id;
    return round.exercises.front();
  }

  void draw(const std::string& activity) const {
    bool color = ctx.color();
    std::string out = "\033[H\033[2J";
    double left = std::max(0.0, remaining());
    auto clock_style = left < 300 ? fmt::fg(fmt::terminal_color::red) : fmt::fg(fmt::terminal_color::cyan);
    std::string clock = format_clock(left);
    out += fmt::format("mock round {} · {} left\n\n", round.id,
                       color ? fmt::format(clock_style | fmt::emphasis::bold, "{}", clock) : clock);
    for (const auto& id : round.exercises) {
      out += fmt::format("{} — {}\n  statement: {}\n  edit:      {}\n", id, exercise(id).title,
                         exercise(id).statement().string(), ctx.workspace().round_file(round.id, id).string());
      if (latest.count(id)) {
        const auto& j = latest.at(id);
        out += fmt::format("  last save: {} ({}/{} checks)\n", verdict_label(j.verdict, {color, true}),
                           j.checks_passed(), j.checks.size());
        out += render(j, {color, true});
      } else {
        out += "  last save: not judged yet — save the file to judge it\n";
      }
      out += "\n";
    }
    for (size_t i = 0; i < shown_hints.size(); ++i) out += fmt::format("hint {}: {}\n", i + 1, shown_hints[i]);
    if (!banner.empty()) out += fmt::format("\n{}\n", banner);
    out += activity.empty() ? "\n[h] hint   [s] submit   [q] abandon   (Ctrl-C leaves; the clock keeps running)\n"
                            : "\n" + activity + "\n";
    fmt::print("{}", out);
    std::fflush(stdout);
  }

  void warn_if_due() {
    while (!warnings_left.empty() && remaining() <= warnings_left.front() * 60) {
      banner = fmt::format("\a⚠ {} left", counted(warnings_left.front(), "minute"));
      warnings_left.erase(warnings_left.begin());
    }
  }

  void judge_save(const std::string& id) {
    draw("judging " + id + " ...");
    StepDisplay quiet(StepDisplay::Mode::quiet);
    latest.insert_or_assign(id, judge_and_record(ctx, exercise(id), ctx.workspace().round_file(round.id, id),
                                                 random_seed(), round.id, quiet));
  }

  void hint() {
    const auto& e = exercise(current());
    size_t given = 0;
    for (const auto& h : shown_hints) given += std::count(e.hints.begin(), e.hints.end(), h);
    if (given == e.hints.size()) {
      banner = "no more hints for " + e.id;
      return;
    }
    shown_hints.push_back(e.hints[given]);
    ctx.store().count_round_hint(round.id);
  }
};

Round start_or_resume(const Context& ctx, const RoundRequest& request, std::string& banner) {
  if (auto active = ctx.store().active_round()) {
    banner = fmt::format("resumed mock round {}: the clock kept running while you were away", active->id);
    return *active;
  }
  return start_round(ctx, request);
}

void on_signal(int) { g_stop = 1; }

}  // namespace

std::string format_clock(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

std::string format_date(double unix_seconds) {
  return fmt::format("{:%Y-%m-%d %H:%M}", fmt::localtime(static_cast<std::time_t>(unix_seconds)));
}

std::string scorecard(const Context& ctx, const Submission& s, bool color) {
  const auto& r = s.round;
  auto catalogue = ctx.catalogue();
  std::string out = fmt::format("\n── scorecard · mock round {} ──\n", r.id);
  double used = *r.ended - r.started;
  out += fmt::format("verdict      {} ({}/{} checks passed)\n", verdict_label(round_verdict(s.judgements), {color, false}),
                     r.checks_passed, r.checks_total);
  out += fmt::format("time used    {} of {} ({})\n", format_clock(used), format_clock(r.deadline - r.started),
                     r.within_time ? "within time" : "after the deadline");
  out += fmt::format("effort       {}, {}\n", counted(r.judge_runs, "judge run"), counted(r.hints, "hint"));
  for (const auto& j : s.judgements) {
    if (j.verdict != Verdict::accepted) out += fmt::format("\n{}:\n{}", j.exercise, render(j, {color, true}));
    const auto& e = ctx.exercise(catalogue, j.exercise);
    out += fmt::format("\nfollow-up questions on {}:\n", e.id);
    for (size_t i = 0; i < e.followups.size(); ++i) out += fmt::format("  {}. {}\n", i + 1, e.followups[i]);
    out += fmt::format("the reference, when you want it: ./kata solution {}\n", e.id);
  }
  return out;
}

int run_session(const Context& ctx, const RoundRequest& request) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    throw UsageError("the interactive round needs a terminal; script a round with ./kata mock start, status and submit");
  std::string banner;
  Session session{ctx, start_or_resume(ctx, request, banner), ctx.catalogue(), {}, {}, {}, banner, {15, 5, 1}};
  while (!session.warnings_left.empty() && session.remaining() <= session.warnings_left.front() * 60)
    session.warnings_left.erase(session.warnings_left.begin());  // already past when the round (re)started
  for (const auto& id : session.round.exercises)
    session.watches[id] = std::make_unique<FileWatch>(ctx.workspace().round_file(session.round.id, id));

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);
  std::optional<Submission> result;
  {
    RawTerminal raw;
    while (!g_stop && !result) {
      session.warn_if_due();
      if (session.remaining() <= 0) {
        session.draw("time is up: judging your last saved version ...");
        StepDisplay quiet(StepDisplay::Mode::quiet);
        result = finish_expired_round(ctx, session.round, quiet);
        break;
      }
      session.draw("");
      char key = read_key(/*timeout_ms=*/250);
      if (key == 'h') session.hint();
      if (key == 's') {
        session.draw("submitting ...");
        StepDisplay quiet(StepDisplay::Mode::quiet);
        result = submit_round(ctx, session.round, quiet);
      }
      if (key == 'q') {
        session.draw("abandon this round? [y/N]");
        if (read_key(/*timeout_ms=*/-1) == 'y') {
          abandon_round(ctx, session.round);
          fmt::print("\nmock round {} abandoned\n", session.round.id);
          return 1;
        }
      }
      for (const auto& [id, watch] : session.watches) {
        if (result || !watch->changed(/*timeout_ms=*/0)) continue;
        double saved_at = now_seconds();
        session.judge_save(id);
        if (session.all_accepted()) {
          std::vector<Judgement> judgements;
          for (const auto& ex : session.round.exercises) judgements.push_back(session.latest.at(ex));
          result = close_round(ctx, session.round, std::move(judgements), saved_at);
        }
      }
    }
  }
  if (!result) {
    fmt::print("\nleft mock round {}; its clock keeps running: ./kata mock resumes it\n", session.round.id);
    return 1;
  }
  fmt::print("\033[H\033[2J{}", scorecard(ctx, *result, ctx.color()));
  return round_verdict(result->judgements) == Verdict::accepted ? 0 : 1;
}

}  // namespace kata

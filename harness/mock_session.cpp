#include "mock_session.h"

#include <fmt/chrono.h>
#include <fmt/color.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <memory>

#include "file_watch.h"
#include "judging.h"
#include "report.h"
#include "table.h"

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
  std::map<std::string, std::unique_ptr<FileWatch>> watches = {};
  std::map<std::string, Judgement> latest = {};         // last judgement of each exercise since the round (re)started
  std::map<std::string, RoundJudgement> earlier = {};   // the last ones before a resume: their verdicts only
  std::vector<std::pair<std::string, int>> hints = {};  // given in this round, here or by ./kata hint: id, level
  std::string banner = "";                              // the last warning or event, shown under the clock
  std::vector<int> warnings_left = {15, 5, 1};          // minutes still to warn at
  std::optional<RoundPlan> plan = std::nullopt;         // of a multi-part round

  double remaining() const { return round.deadline - now_seconds(); }
  const Exercise& exercise(const std::string& id) const { return ctx.exercise(catalogue, id); }

  bool accepted(const std::string& id) const {
    if (latest.count(id)) return latest.at(id).verdict == Verdict::accepted;
    return earlier.count(id) && earlier.at(id).verdict == to_string(Verdict::accepted);
  }

  bool all_accepted() const {
    return std::all_of(round.exercises.begin(), round.exercises.end(), [&](const auto& id) { return accepted(id); });
  }

  // The exercise that still needs work: hints are for it.
  const std::string& current() const {
    for (const auto& id : round.exercises)
      if (!accepted(id)) return id;
    return round.exercises.front();
  }

  std::string last_save(const std::string& id, bool color) const {
    if (latest.count(id)) {
      const auto& j = latest.at(id);
      return fmt::format("  last save: {} ({}/{} checks)\n", verdict_label(j.verdict, {color, true}), j.checks_passed(),
                         j.checks.size()) +
             render(j, {color, true});
    }
    if (earlier.count(id)) {
      const auto& j = earlier.at(id);
      return fmt::format("  last save: {} ({}/{} checks), judged before you left;\n  save to see the details\n",
                         j.verdict, j.checks_passed, j.checks_total);
    }
    return "  last save: not judged yet — save the file to judge it\n";
  }

  void draw(const std::string& activity) const {
    bool color = ctx.color();
    std::string out = "\033[H\033[2J";
    double left = std::max(0.0, remaining());
    auto clock_style = left < 300 ? fmt::fg(fmt::terminal_color::red) : fmt::fg(fmt::terminal_color::cyan);
    std::string clock = format_clock(left);
    out += fmt::format("mock round {} · {} left\n\n", round.id,
                       color ? fmt::format(clock_style | fmt::emphasis::bold, "{}", clock) : clock);
    for (size_t i = 0; i < round.exercises.size(); ++i) {
      const auto& id = round.exercises[i];
      std::string part = plan ? fmt::format("part {}/{}: ", i + 1, plan->parts.size()) : "";
      if (!part_open(ctx, round, id)) {
        out += fmt::format("{}{} — opens when the part before it is accepted\n\n", part, id);
        continue;
      }
      out += fmt::format("{}{} — {}\n", part, id, exercise(id).title);
      if (plan) out += hanging("  ", plan->parts[i].prompt);
      out += fmt::format("  statement: {}\n  edit:      {}\n", exercise(id).statement().string(),
                         ctx.workspace().round_file(round.id, id).string());
      out += last_save(id, color) + "\n";
    }
    for (const auto& [id, level] : hints) {
      const auto& all = exercise(id).hints;
      if (level <= static_cast<int>(all.size()))
        out += hanging(fmt::format("hint {}/{} ({}): ", level, all.size(), id), all[level - 1]);
    }
    if (!banner.empty()) out += fmt::format("\n{}\n", banner);
    out += activity.empty() ? "\n[h] hint  [s] submit  [q] abandon  (Ctrl-C leaves; the clock keeps running)\n"
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
    const auto& j = latest.insert_or_assign(id, judge_and_record(ctx, exercise(id), ctx.workspace().round_file(
                                                                                    round.id, id),
                                                                random_seed(), round.id, quiet))
                        .first->second;
    if (auto opened = open_next_part(ctx, round, id, j.verdict)) {
      banner = *opened;
      for (const auto& next : round.exercises)
        if (!watches.count(next) && part_open(ctx, round, next))
          watches[next] = std::make_unique<FileWatch>(ctx.workspace().round_file(round.id, next));
    }
  }

  // Judges every file saved since the last look; the submission once everything is accepted.
  std::optional<Submission> judge_saves() {
    for (const auto& [id, watch] : watches) {
      if (!watch->changed(/*timeout_ms=*/0)) continue;
      double saved_at = now_seconds();
      judge_save(id);
      if (all_accepted()) return close(saved_at);
    }
    return std::nullopt;
  }

  bool confirm(const std::string& question) {
    draw(question);
    return read_key(/*timeout_ms=*/-1) == 'y';
  }

  Submission submit() {
    draw("submitting ...");
    StepDisplay quiet(StepDisplay::Mode::quiet);
    return submit_round(ctx, round, quiet);
  }

  void hint() {
    const auto& e = exercise(current());
    auto store = ctx.store();
    if (!store.next_round_hint(round.id, e.id, static_cast<int>(e.hints.size()))) banner = "no more hints for " + e.id;
    hints = store.round_hints(round.id);
  }

  // Every exercise is accepted. A judgement from before a resume kept only its verdict, so then the files
  // are judged again for the scorecard.
  Submission close(double saved_at) {
    std::vector<Judgement> judgements;
    for (const auto& id : round.exercises) {
      if (!latest.count(id)) {
        StepDisplay quiet(StepDisplay::Mode::quiet);
        return submit_round(ctx, round, quiet);
      }
      judgements.push_back(latest.at(id));
    }
    return close_round(ctx, round, std::move(judgements), saved_at);
  }
};

// A new round, or the active one as it was left: its verdicts so far, its hints, the warnings still due.
Session open_session(const Context& ctx, const RoundRequest& request) {
  auto store = ctx.store();
  auto active = store.active_round();
  Session session{ctx, active ? *active : start_round(ctx, request), ctx.catalogue()};
  if (active) {
    session.banner = fmt::format("resumed mock round {}: the clock kept running while you were away", active->id);
    session.earlier = store.last_round_judgements(active->id);
  }
  session.hints = store.round_hints(session.round.id);
  while (!session.warnings_left.empty() && session.remaining() <= session.warnings_left.front() * 60)
    session.warnings_left.erase(session.warnings_left.begin());  // already past when the round (re)started
  session.plan = plan_of(ctx, session.round);
  for (const auto& id : session.round.exercises)
    if (part_open(ctx, session.round, id))
      session.watches[id] = std::make_unique<FileWatch>(ctx.workspace().round_file(session.round.id, id));
  return session;
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
  std::string verdict = round_verdict(s) == "incomplete" ? "INCOMPLETE"
                                                        : verdict_label(round_verdict(s.judgements), {color, false});
  out += fmt::format("verdict      {} ({}/{} checks passed)\n", verdict, r.checks_passed, r.checks_total);
  if (!r.plan.empty()) {  // scored per part
    std::vector<std::string> parts;
    for (const auto& j : s.judgements) parts.push_back(fmt::format("{} {}", j.exercise, to_string(j.verdict)));
    for (const auto& id : s.unreached) parts.push_back(id + " not reached");
    out += hanging("parts        ", fmt::format("{}", fmt::join(parts, ", ")));
  }
  out += fmt::format("time used    {} of {} ({})\n", format_clock(used), format_clock(r.deadline - r.started),
                     r.within_time ? "within time" : "after the deadline");
  out += fmt::format("effort       {}, {}\n", counted(r.judge_runs, "judge run"), counted(r.hints, "hint"));
  for (const auto& j : s.judgements) {
    if (j.verdict != Verdict::accepted) out += fmt::format("\n{}:\n{}", j.exercise, render(j, {color, true}));
    const auto& e = ctx.exercise(catalogue, j.exercise);
    out += fmt::format("\nfollow-up questions on {}:\n", e.id);
    for (size_t i = 0; i < e.followups.size(); ++i) out += hanging(fmt::format("  {}. ", i + 1), e.followups[i]);
    out += fmt::format("the reference, when you want it: ./kata solution {}\n", e.id);
  }
  return out;
}

int run_session(const Context& ctx, const RoundRequest& request) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    throw UsageError(
        "the interactive round needs a terminal; script a round with ./kata mock start, status and submit");
  Session session = open_session(ctx, request);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);
  std::optional<Submission> result;
  bool abandoned = false;
  {
    RawTerminal raw;
    while (!g_stop && !result && !abandoned) {
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
      if (key == 's' && session.confirm("submit now and stop the clock? [y/N]")) result = session.submit();
      if (key == 'q' && session.confirm("abandon this round? [y/N]")) abandoned = true;
      if (!result && !abandoned) result = session.judge_saves();
    }
  }
  if (abandoned) {
    abandon_round(ctx, session.round);
    fmt::print("\nmock round {} abandoned\n", session.round.id);
    return 1;
  }
  if (!result) {
    fmt::print("\nleft mock round {}; its clock keeps running: ./kata mock resumes it\n", session.round.id);
    return 1;
  }
  fmt::print("\033[H\033[2J{}", scorecard(ctx, *result, ctx.color()));
  return round_verdict(*result) == "accepted" ? 0 : 1;
}

}  // namespace kata

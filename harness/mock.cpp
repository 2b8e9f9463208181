#include "mock.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "table.h"

namespace kata {
namespace {

// Unsolved exercises first, in random order; then the rest.
std::string pick_exercise(const Context& ctx, const Catalogue& catalogue, const std::string& topic) {
  auto statuses = ctx.store().statuses();
  std::vector<std::string> unsolved, solved;
  for (const auto& e : catalogue.all()) {
    if (!topic.empty() && e.topic != topic) continue;
    (statuses[e.id] == "solved" ? solved : unsolved).push_back(e.id);
  }
  if (unsolved.empty() && solved.empty()) throw UsageError(fmt::format("no exercise has the topic '{}'", topic));
  auto& pool = unsolved.empty() ? solved : unsolved;
  std::mt19937 rng(std::random_device{}());
  return pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)];
}

}  // namespace

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<RoundPlan> round_plans(const Context& ctx) {
  return load_round_plans(ctx.source_dir / "exercises" / "rounds.toml");
}

std::optional<RoundPlan> plan_of(const Context& ctx, const Round& round) {
  if (round.plan.empty()) return std::nullopt;
  for (auto& plan : round_plans(ctx))
    if (plan.name == round.plan) return plan;
  return std::nullopt;
}

namespace {

RoundPlan plan_named(const Context& ctx, const std::string& name) {
  auto plans = round_plans(ctx);
  std::vector<std::string> names;
  for (const auto& p : plans) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  throw UsageError(fmt::format("unknown round '{}'; the rounds are: {}", name, fmt::join(names, ", ")));
}

}  // namespace

bool part_open(const Context& ctx, const Round& round, const std::string& exercise) {
  return round.plan.empty() || fs::exists(ctx.workspace().round_file(round.id, exercise));
}

std::optional<std::string> open_next_part(const Context& ctx, const Round& round, const std::string& exercise,
                                          Verdict verdict) {
  auto plan = plan_of(ctx, round);
  if (!plan || verdict != Verdict::accepted) return std::nullopt;
  for (size_t i = 0; i + 1 < plan->parts.size(); ++i) {
    if (plan->parts[i].exercise != exercise) continue;
    const auto& next = plan->parts[i + 1];
    if (part_open(ctx, round, next.exercise)) return std::nullopt;
    auto catalogue = ctx.catalogue();
    ctx.workspace().create_round_file(ctx.exercise(catalogue, next.exercise), round.id);
    return hanging(fmt::format("part {}/{} is open: ", i + 2, plan->parts.size()), next.prompt) +
           fmt::format("  edit {}", ctx.workspace().round_file(round.id, next.exercise).string());
  }
  return std::nullopt;
}

Round start_round(const Context& ctx, const RoundRequest& request) {
  auto catalogue = ctx.catalogue();
  auto ids = request.exercises;
  std::optional<RoundPlan> plan;
  if (!request.plan.empty()) {
    plan = plan_named(ctx, request.plan);
    ids.clear();
    for (const auto& part : plan->parts) ids.push_back(part.exercise);
  }
  if (ids.empty()) ids.push_back(pick_exercise(ctx, catalogue, request.topic));
  std::vector<const Exercise*> exercises;
  for (const auto& id : ids) exercises.push_back(&ctx.exercise(catalogue, id));

  auto store = ctx.store();
  if (auto active = store.active_round())
    throw UsageError(
        fmt::format("mock round {} is still active: resume it with ./kata mock, or end it with "
                    "./kata mock submit / ./kata mock abandon",
                    active->id));
  double started = now_seconds();
  double minutes = request.minutes.value_or(plan ? plan->minutes : 45);
  int64_t id = store.start_round(ids, started, started + minutes * 60, plan ? plan->name : "");
  auto ws = ctx.workspace();
  for (const auto* e : exercises) {
    ws.create_round_file(*e, id);
    if (plan) break;  // the other parts open one by one
  }
  return *store.active_round();
}

Round active_round(const Context& ctx) {
  if (auto round = ctx.store().active_round()) return *round;
  throw UsageError("no mock round is active: start one with ./kata mock or ./kata mock start");
}

std::string round_verdict(const Submission& s) {
  Verdict v = round_verdict(s.judgements);
  return v == Verdict::accepted && !s.unreached.empty() ? "incomplete" : to_string(v);
}

Verdict round_verdict(const std::vector<Judgement>& judgements) {
  for (const auto& j : judgements)
    if (j.verdict != Verdict::accepted) return j.verdict;
  return Verdict::accepted;
}

namespace {

// The open parts, judged as saved.
std::vector<Judgement> judge_round_files(const Context& ctx, const Round& round, StepDisplay& display) {
  auto catalogue = ctx.catalogue();
  std::vector<Judgement> judgements;
  for (const auto& id : round.exercises) {
    if (!part_open(ctx, round, id)) continue;
    const auto& e = ctx.exercise(catalogue, id);
    judgements.push_back(
        judge_and_record(ctx, e, ctx.workspace().round_file(round.id, id), random_seed(), round.id, display));
  }
  display.finish();
  return judgements;
}

double last_saved(const fs::path& file) {
  struct stat st {};
  return stat(file.c_str(), &st) == 0 ? st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9 : 0;
}

}  // namespace

Submission submit_round(const Context& ctx, const Round& round, StepDisplay& display) {
  double ended = now_seconds();
  return close_round(ctx, round, judge_round_files(ctx, round, display), ended);
}

Submission finish_expired_round(const Context& ctx, const Round& round, StepDisplay& display) {
  double ended = round.deadline;
  for (const auto& id : round.exercises)
    if (part_open(ctx, round, id)) ended = std::max(ended, last_saved(ctx.workspace().round_file(round.id, id)));
  return close_round(ctx, round, judge_round_files(ctx, round, display), ended);
}

std::optional<Submission> finish_if_expired(const Context& ctx, StepDisplay& display) {
  auto round = ctx.store().active_round();
  if (!round || round->deadline > now_seconds()) return std::nullopt;
  return finish_expired_round(ctx, *round, display);
}

Submission close_round(const Context& ctx, const Round& round, std::vector<Judgement> judgements, double ended) {
  int passed = 0, total = 0;
  for (const auto& j : judgements) {
    passed += j.checks_passed();
    total += static_cast<int>(j.checks.size());
  }
  Submission s{round, std::move(judgements), {}};
  for (const auto& id : round.exercises)
    if (!part_open(ctx, round, id)) s.unreached.push_back(id);
  auto store = ctx.store();
  store.finish_round(round.id, round_verdict(s), ended, passed, total);
  for (const auto& r : store.rounds())
    if (r.id == round.id) s.round = r;
  return s;
}

void abandon_round(const Context& ctx, const Round& round) {
  ctx.store().finish_round(round.id, "abandoned", now_seconds(), 0, 0);
}

}  // namespace kata

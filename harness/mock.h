// Mock rounds: one or two exercises against a clock, or a multi-part round (exercises/rounds.toml) whose
// parts open one after another, judged like practice but in their own files
// (workspace/rounds/<round>/<id>.cpp) so practice attempts are never touched. The round lives in the
// database and runs on the wall clock, so closing the terminal loses nothing. A part is open when its
// file exists: the first at the start, each next one when the one before it is accepted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "context.h"
#include "judging.h"
#include "progress.h"

namespace kata {

struct RoundRequest {
  std::vector<std::string> exercises;  // one or two ids; empty: pick one not solved recently
  std::string topic;                   // limits the pick
  std::optional<double> minutes;       // default: the plan's, else 45
  std::string plan;                    // a multi-part round by name, instead of the above
};

std::vector<RoundPlan> round_plans(const Context& ctx);
// The plan of a multi-part round; nullopt for a plain one.
std::optional<RoundPlan> plan_of(const Context& ctx, const Round& round);
// Whether the learner can work on this exercise of the round yet (every exercise of a plain round).
bool part_open(const Context& ctx, const Round& round, const std::string& exercise);
// After a judgement in a multi-part round: when it accepted a part, opens the next one and returns what
// the interviewer says, with the file to edit.
std::optional<std::string> open_next_part(const Context& ctx, const Round& round, const std::string& exercise,
                                          Verdict verdict);

double now_seconds();

// Throws UsageError when a round is already active or the request names no usable exercise.
Round start_round(const Context& ctx, const RoundRequest& request);
// The active round; throws UsageError when there is none.
Round active_round(const Context& ctx);

struct Submission {
  Round round;
  std::vector<Judgement> judgements;  // one per open exercise of the round
  std::vector<std::string> unreached;  // the parts of a multi-part round that never opened
};
// Judges the last saved version of every file of the round and closes it.
Submission submit_round(const Context& ctx, const Round& round, StepDisplay& display);
// A round whose clock ran out, judged at its files' last saved versions as the interactive round does at
// zero: it ends at the deadline, or at the last save if a file was saved after it.
Submission finish_expired_round(const Context& ctx, const Round& round, StepDisplay& display);
// Finishes the active round if its clock has run out, so that a new one can start.
std::optional<Submission> finish_if_expired(const Context& ctx, StepDisplay& display);
// Closes the round with judgements already made (the interactive round stops its clock at acceptance).
Submission close_round(const Context& ctx, const Round& round, std::vector<Judgement> judgements, double ended);
void abandon_round(const Context& ctx, const Round& round);

// The round's verdict: accepted when every exercise is, else the first verdict that is not;
// "incomplete" when every open part is accepted but some part never opened.
std::string round_verdict(const Submission& s);
Verdict round_verdict(const std::vector<Judgement>& judgements);

}  // namespace kata

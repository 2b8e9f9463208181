// Mock rounds: one or two exercises against a clock, judged like practice but in their own files
// (workspace/rounds/<round>/<id>.cpp) so practice attempts are never touched. The round lives in the
// database and runs on the wall clock, so closing the terminal loses nothing.
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
  double minutes = 45;
};

double now_seconds();

// Throws UsageError when a round is already active or the request names no usable exercise.
Round start_round(const Context& ctx, const RoundRequest& request);
// The active round; throws UsageError when there is none.
Round active_round(const Context& ctx);

struct Submission {
  Round round;
  std::vector<Judgement> judgements;  // one per exercise of the round
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

// The round's verdict: accepted when every exercise is, else the first verdict that is not.
Verdict round_verdict(const std::vector<Judgement>& judgements);

}  // namespace kata

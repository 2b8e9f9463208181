// Judging as the verbs need it: check the file, judge it, record the verdict.
#pragma once

#include <optional>

#include "context.h"
#include "judge.h"
#include "progress.h"

namespace kata {

// Throws UsageError when the file to judge does not exist, saying how to create it.
void require_source(const Exercise& e, const fs::path& source);

// Judges `source` without recording anything: for a file that says nothing about the learner's progress.
Judgement judge_file(const Context& ctx, const Exercise& e, const fs::path& source, uint64_t seed,
                     StepDisplay& display);
// Judges `source` and records the verdict (with the round, for a mock round's file).
Judgement judge_and_record(const Context& ctx, const Exercise& e, const fs::path& source, uint64_t seed,
                           std::optional<int64_t> round, StepDisplay& display);

}  // namespace kata

// Known-mistake matching, on the trusted side. After the learner's checks, each failed check runs again
// with a known mistake's code in the worker's place (one worker loads them in turn; same seed, same inputs);
// a mistake whose run observed the same values as the learner's, failed comparison included, is named.
// Matching is by values only, so it works however the learner wrote the code.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kata_test.h"
#include "session.h"

namespace kata_remote {

struct KnownMistake {
  std::string id, name, why;
  std::filesystem::path library;  // the wrong case built like a learner's file
};

// The mistakes built in `libraries` (<case>.so) whose case in `cases` names a mistake, in name order.
std::vector<KnownMistake> known_mistakes(const std::filesystem::path& libraries, const std::filesystem::path& cases);

// What the learner's run observed in each check it failed on values.
using Observed = std::map<std::string, std::vector<kata_test::Observation>>;

// For each failed check the mistakes that explain it best, if any: among the mistakes that match the
// check, those that match the most failed checks, by name. Mistakes that reproduce the first failed check
// (the one the report leads with) are tried on the others; when those leave failed checks unexplained, the
// remaining mistakes are tried on these (a second bug in the same program). If nothing reproduces the first
// check, no mistake is named. Several remain when they are the same on these inputs (two ways to the same
// NaN). Stops trying mistakes once they have used `cpu_budget_seconds` of CPU time (with the host's own),
// so that a loaded machine names the same mistakes, only later.
std::map<std::string, std::vector<KnownMistake>> match_mistakes(const std::vector<KnownMistake>& mistakes,
                                                                const Observed& failed, const Limits& limits,
                                                                double cpu_budget_seconds);

}  // namespace kata_remote

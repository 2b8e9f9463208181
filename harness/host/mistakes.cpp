#include "mistakes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/resource.h>

#include <algorithm>

#include "../mistake_header.h"

namespace kata_remote {
namespace {

namespace fs = std::filesystem;

// During a mistake's run: what each check observed.
class Collect : public ::testing::EmptyTestEventListener {
 public:
  Observed seen;
  void OnTestStart(const ::testing::TestInfo&) override { Session::get().begin_check(); }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    Session::get().end_check();
    seen[std::string(info.test_suite_name()) + "." + info.name()] = kata_test::evidence().observations;
  }
};

// The failed check the report leads with: the first, in the order the checks run.
std::string first_in_run_order(const Observed& failed) {
  const auto& unit = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const auto& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      std::string name = std::string(suite.name()) + "." + suite.GetTestInfo(j)->name();
      if (failed.count(name)) return name;
    }
  }
  return failed.begin()->first;
}

// The failed checks among `checks` whose observations `seen` reproduces.
std::vector<std::string> reproduced(const Observed& failed, const std::vector<std::string>& checks, const Observed& seen) {
  std::vector<std::string> same;
  for (const auto& check : checks) {
    auto it = seen.find(check);
    if (it != seen.end() && kata_test::same_observations(failed.at(check), it->second)) same.push_back(check);
  }
  return same;
}

// CPU seconds this process and its reaped workers have used. Mistakes are budgeted in CPU time, not wall
// time: on a loaded machine the same mistakes take longer on the clock, and the verdict must not change.
double cpu_seconds_used() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage used{};
    getrusage(who, &used);
    total += static_cast<double>(used.ru_utime.tv_sec + used.ru_stime.tv_sec) +
             static_cast<double>(used.ru_utime.tv_usec + used.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

}  // namespace

std::vector<KnownMistake> known_mistakes(const fs::path& libraries, const fs::path& cases) {
  std::vector<KnownMistake> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(libraries, ec)) {
    if (entry.path().extension() != ".so") continue;
    auto header = kata::read_mistake_header(cases / (entry.path().stem().string() + ".cpp"));
    if (header) found.push_back({header->id, header->name, header->why, entry.path()});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return found;
}

std::map<std::string, std::vector<KnownMistake>> match_mistakes(const std::vector<KnownMistake>& mistakes,
                                                                const Observed& failed, const Limits& limits,
                                                                double cpu_budget_seconds) {
  if (failed.empty()) return {};
  const double start = cpu_seconds_used();
  auto out_of_time = [&] { return cpu_seconds_used() - start > cpu_budget_seconds; };
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  auto* collect = new Collect;  // owned by GoogleTest
  listeners.Append(collect);
  auto run = [&](const KnownMistake& mistake, const std::vector<std::string>& checks) {
    collect->seen.clear();
    GTEST_FLAG_SET(filter, fmt::format("{}", fmt::join(checks, ":")));
    Session::get().serve_with(mistake.library.string(), limits);
    (void)RUN_ALL_TESTS();
    return collect->seen;
  };

  // Each mistake first reruns only the check the report leads with, usually one of the cheapest: a mistake
  // that does not reproduce it is not what the learner wrote. Those that do rerun the other failed checks too.
  const std::string lead = first_in_run_order(failed);
  std::vector<std::string> rest;
  for (const auto& [check, observations] : failed)
    if (check != lead) rest.push_back(check);
  std::map<std::string, std::vector<size_t>> matching;  // check -> mistakes
  std::vector<int> score(mistakes.size(), 0);
  auto try_on = [&](size_t m, const std::vector<std::string>& checks) {
    for (const auto& check : reproduced(failed, checks, run(mistakes[m], checks))) {
      matching[check].push_back(m);
      ++score[m];
    }
  };
  for (size_t m = 0; m < mistakes.size() && !out_of_time(); ++m) {
    if (reproduced(failed, {lead}, run(mistakes[m], {lead})).empty()) continue;
    matching[lead].push_back(m);
    score[m] = 1;
    if (!rest.empty()) try_on(m, rest);
  }

  // A program can hold more than one bug (a debugging exercise's partial fix). When the lead is explained
  // but other failed checks are not, the other mistakes try those: each remaining bug is then named at a
  // check that it alone fails.
  std::vector<std::string> unexplained;
  for (const auto& check : rest)
    if (!matching.count(check)) unexplained.push_back(check);
  if (matching.count(lead) && !unexplained.empty())
    for (size_t m = 0; m < mistakes.size() && !out_of_time(); ++m)
      if (score[m] == 0) try_on(m, unexplained);

  std::map<std::string, std::vector<KnownMistake>> named;
  for (const auto& [check, candidates] : matching) {
    int best = 0;
    for (size_t m : candidates) best = std::max(best, score[m]);
    for (size_t m : candidates)
      if (score[m] == best) named[check].push_back(mistakes[m]);
  }
  return named;
}

}  // namespace kata_remote

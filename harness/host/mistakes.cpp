#include "mistakes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>

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
                                                                double budget_seconds) {
  auto start = std::chrono::steady_clock::now();
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  auto* collect = new Collect;  // owned by GoogleTest
  listeners.Append(collect);
  std::vector<std::string> names;
  for (const auto& [check, observations] : failed) names.push_back(check);
  GTEST_FLAG_SET(filter, fmt::format("{}", fmt::join(names, ":")));

  std::map<std::string, std::vector<size_t>> matching;  // check -> mistakes
  std::vector<int> score(mistakes.size(), 0);
  for (size_t m = 0; m < mistakes.size(); ++m) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > budget_seconds) break;
    collect->seen.clear();
    Session::get().serve_with(mistakes[m].library.string(), limits);
    (void)RUN_ALL_TESTS();
    for (const auto& [check, observations] : failed) {
      auto it = collect->seen.find(check);
      if (it == collect->seen.end() || !kata_test::same_observations(observations, it->second)) continue;
      matching[check].push_back(m);
      ++score[m];
    }
  }
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

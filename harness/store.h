// The learner's history in an embedded SQLite database (workspace/kata.db): judgements, hint levels and
// mock rounds. Every write is one transaction, so a killed process leaves the last committed state.
#pragma once

#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kata {

// A database that cannot be opened or read; the message says what to do, and nothing was overwritten.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Round {
  int64_t id = 0;
  std::vector<std::string> exercises;
  double started = 0, deadline = 0;  // unix seconds
  std::optional<double> ended;
  std::string verdict;  // empty while active; "abandoned" when given up
  bool within_time = false;
  int hints = 0, judge_runs = 0, checks_passed = 0, checks_total = 0;
  std::string plan;  // a multi-part round's name (its exercises are its parts, in order); empty otherwise
};

// What the learner has done with one exercise, for the progress map.
struct ExerciseRecord {
  bool solved = false;
  std::optional<double> last_solved;          // unix seconds of the latest accepted judgement
  std::optional<double> best_round_seconds;   // fastest accepted in a mock round, from its start, in time
};

struct RoundJudgement {
  std::string verdict;
  int checks_passed = 0, checks_total = 0;
};

class Store {
 public:
  explicit Store(const std::filesystem::path& path);

  void record_judgement(const std::string& exercise, std::optional<int64_t> round, const std::string& verdict,
                        int checks_passed, int checks_total, uint64_t seed);
  // exercise -> "attempted" or "solved", for exercises judged at least once (practice or mock).
  std::map<std::string, std::string> statuses();
  // Every exercise judged at least once.
  std::map<std::string, ExerciseRecord> records();
  // The hint level to show next (1-based, at most `available`), remembered for next time.
  int next_hint(const std::string& exercise, int available);

  int64_t start_round(const std::vector<std::string>& exercises, double started, double deadline,
                      const std::string& plan = "");
  std::optional<Round> active_round();
  // The next hint level (1-based) of an exercise in a round, counted in the round; nullopt once all
  // `available` hints were given. A round's hints start from the first, whatever practice has seen.
  std::optional<int> next_round_hint(int64_t round, const std::string& exercise, int available);
  // The hints given in a round, in order: exercise and level.
  std::vector<std::pair<std::string, int>> round_hints(int64_t round);
  // The last judgement of each exercise judged in a round.
  std::map<std::string, RoundJudgement> last_round_judgements(int64_t round);
  void finish_round(int64_t round, const std::string& verdict, double ended, int checks_passed, int checks_total);
  std::vector<Round> rounds();

 private:
  void use_wal();
  template <typename F>
  auto guarded(const char* what, F&& f);
  std::filesystem::path path_;
  std::optional<SQLite::Database> db_;
};

}  // namespace kata

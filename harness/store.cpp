#include "store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <sstream>

namespace kata {
namespace {

constexpr int kSchemaVersion = 3;  // 2 added round_hints; 3 added rounds.plan

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS judgements (
  id INTEGER PRIMARY KEY,
  exercise TEXT NOT NULL,
  round_id INTEGER REFERENCES rounds(id),
  verdict TEXT NOT NULL,
  checks_passed INTEGER NOT NULL,
  checks_total INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
);
CREATE TABLE IF NOT EXISTS hints (
  exercise TEXT PRIMARY KEY,
  level INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rounds (
  id INTEGER PRIMARY KEY,
  exercises TEXT NOT NULL,
  started REAL NOT NULL,
  deadline REAL NOT NULL,
  ended REAL,
  verdict TEXT,
  hints INTEGER NOT NULL DEFAULT 0,
  checks_passed INTEGER NOT NULL DEFAULT 0,
  checks_total INTEGER NOT NULL DEFAULT 0,
  plan TEXT  -- the multi-part round's name, NULL for a round of one or two exercises
);
CREATE TABLE IF NOT EXISTS round_hints (
  round_id INTEGER NOT NULL REFERENCES rounds(id),
  exercise TEXT NOT NULL,
  level INTEGER NOT NULL,
  PRIMARY KEY (round_id, exercise, level)
);
)sql";

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> items;
  std::istringstream in(s);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

}  // namespace

// Every SQLite failure becomes a StoreError that names the file and what to do; the file is never replaced.
template <typename F>
auto Store::guarded(const char* what, F&& f) {
  try {
    return f();
  } catch (const SQLite::Exception& e) {
    throw StoreError(fmt::format(
        "cannot {} the progress database {}: {}.\nYour attempt files are untouched. If the file is damaged, move it "
        "aside (mv {} {}.broken) and torchkata starts a new history.",
        what, path_.string(), e.what(), path_.string(), path_.string()));
  }
}

Store::Store(const std::filesystem::path& path) : path_(path) {
  std::filesystem::create_directories(path.parent_path());
  guarded("open", [&] {
    db_.emplace(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db_->setBusyTimeout(5000);
    // Several kata processes may open the database at once (a watch and a judge, parallel tests): the
    // schema is written once, under a write lock taken up front.
    if (db_->execAndGet("PRAGMA user_version").getInt() == kSchemaVersion) return;
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    int version = db_->execAndGet("PRAGMA user_version").getInt();
    if (version > kSchemaVersion)
      throw SQLite::Exception(fmt::format("it was written by a newer torchkata (schema {})", version));
    db_->exec(kSchema);
    if (version >= 1 && version < 3) db_->exec("ALTER TABLE rounds ADD COLUMN plan TEXT");
    db_->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
    tx.commit();
  });
  use_wal();
}

// WAL lets readers and a writer overlap; the mode is kept in the file. Switching needs every other
// connection closed, so under a crowd it can fail: it is only a speed-up, and a later opener switches.
void Store::use_wal() {
  try {
    if (db_->execAndGet("PRAGMA journal_mode").getString() != "wal") db_->exec("PRAGMA journal_mode=WAL");
  } catch (const SQLite::Exception&) {
  }
}

void Store::record_judgement(const std::string& exercise, std::optional<int64_t> round, const std::string& verdict,
                             int checks_passed, int checks_total, uint64_t seed) {
  guarded("write", [&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO judgements (exercise, round_id, verdict, checks_passed, checks_total, seed) "
                        "VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(1, exercise);
    if (round) q.bind(2, *round);
    q.bind(3, verdict);
    q.bind(4, checks_passed);
    q.bind(5, checks_total);
    q.bind(6, static_cast<int64_t>(seed));
    q.exec();
  });
}

std::map<std::string, std::string> Store::statuses() {
  return guarded("read", [&] {
    std::map<std::string, std::string> status;
    SQLite::Statement q(*db_, "SELECT exercise, MAX(verdict = 'accepted') FROM judgements GROUP BY exercise");
    while (q.executeStep()) status[q.getColumn(0).getString()] = q.getColumn(1).getInt() ? "solved" : "attempted";
    return status;
  });
}

std::map<std::string, ExerciseRecord> Store::records() {
  return guarded("read", [&] {
    std::map<std::string, ExerciseRecord> records;
    SQLite::Statement q(*db_,
                        "SELECT j.exercise, MAX(j.verdict = 'accepted'), "
                        "MAX(CASE WHEN j.verdict = 'accepted' THEN j.at END), "
                        "MIN(CASE WHEN j.verdict = 'accepted' AND j.at <= r.deadline THEN j.at - r.started END) "
                        "FROM judgements j LEFT JOIN rounds r ON r.id = j.round_id GROUP BY j.exercise");
    while (q.executeStep()) {
      ExerciseRecord r;
      r.solved = q.getColumn(1).getInt() != 0;
      if (!q.getColumn(2).isNull()) r.last_solved = q.getColumn(2).getDouble();
      if (!q.getColumn(3).isNull()) r.best_round_seconds = q.getColumn(3).getDouble();
      records[q.getColumn(0).getString()] = r;
    }
    return records;
  });
}

int Store::next_hint(const std::string& exercise, int available) {
  return guarded("write", [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);  // read then write: lock first
    SQLite::Statement read(*db_, "SELECT level FROM hints WHERE exercise = ?");
    read.bind(1, exercise);
    int level = read.executeStep() ? read.getColumn(0).getInt() : 0;
    level = std::min(level + 1, available);
    SQLite::Statement write(*db_,
                            "INSERT INTO hints (exercise, level) VALUES (?, ?) "
                            "ON CONFLICT(exercise) DO UPDATE SET level = excluded.level");
    write.bind(1, exercise);
    write.bind(2, level);
    write.exec();
    tx.commit();
    return level;
  });
}

int64_t Store::start_round(const std::vector<std::string>& exercises, double started, double deadline,
                           const std::string& plan) {
  return guarded("write", [&] {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);  // read then write: lock first
    if (db_->execAndGet("SELECT COUNT(*) FROM rounds WHERE verdict IS NULL").getInt() > 0)
      throw std::logic_error("a mock round is already active");
    SQLite::Statement q(*db_, "INSERT INTO rounds (exercises, started, deadline, plan) VALUES (?, ?, ?, ?)");
    q.bind(1, join(exercises));
    q.bind(2, started);
    q.bind(3, deadline);
    if (!plan.empty()) q.bind(4, plan);
    q.exec();
    int64_t id = db_->getLastInsertRowid();
    tx.commit();
    return id;
  });
}

std::vector<Round> Store::rounds() {
  return guarded("read", [&] {
    std::vector<Round> rounds;
    SQLite::Statement q(*db_,
                        "SELECT r.id, r.exercises, r.started, r.deadline, r.ended, r.verdict, r.hints, "
                        "r.checks_passed, r.checks_total, (SELECT COUNT(*) FROM judgements j WHERE j.round_id = r.id), "
                        "r.plan "
                        "FROM rounds r ORDER BY r.id");
    while (q.executeStep()) {
      Round r;
      r.id = q.getColumn(0).getInt64();
      r.exercises = split(q.getColumn(1).getString());
      r.started = q.getColumn(2).getDouble();
      r.deadline = q.getColumn(3).getDouble();
      if (!q.getColumn(4).isNull()) r.ended = q.getColumn(4).getDouble();
      r.verdict = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
      r.within_time = r.ended && *r.ended <= r.deadline;
      r.hints = q.getColumn(6).getInt();
      r.checks_passed = q.getColumn(7).getInt();
      r.checks_total = q.getColumn(8).getInt();
      r.judge_runs = q.getColumn(9).getInt();
      if (!q.getColumn(10).isNull()) r.plan = q.getColumn(10).getString();
      rounds.push_back(r);
    }
    return rounds;
  });
}

std::optional<Round> Store::active_round() {
  for (const auto& r : rounds())
    if (r.verdict.empty()) return r;
  return std::nullopt;
}

std::optional<int> Store::next_round_hint(int64_t round, const std::string& exercise, int available) {
  return guarded("write", [&]() -> std::optional<int> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);  // read then write: lock first
    SQLite::Statement read(*db_, "SELECT COUNT(*) FROM round_hints WHERE round_id = ? AND exercise = ?");
    read.bind(1, round);
    read.bind(2, exercise);
    read.executeStep();
    int level = read.getColumn(0).getInt() + 1;
    if (level > available) return std::nullopt;
    SQLite::Statement add(*db_, "INSERT INTO round_hints (round_id, exercise, level) VALUES (?, ?, ?)");
    add.bind(1, round);
    add.bind(2, exercise);
    add.bind(3, level);
    add.exec();
    SQLite::Statement count(*db_, "UPDATE rounds SET hints = hints + 1 WHERE id = ?");
    count.bind(1, round);
    count.exec();
    tx.commit();
    return level;
  });
}

std::vector<std::pair<std::string, int>> Store::round_hints(int64_t round) {
  return guarded("read", [&] {
    std::vector<std::pair<std::string, int>> hints;
    SQLite::Statement q(*db_, "SELECT exercise, level FROM round_hints WHERE round_id = ? ORDER BY rowid");
    q.bind(1, round);
    while (q.executeStep()) hints.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt());
    return hints;
  });
}

std::map<std::string, RoundJudgement> Store::last_round_judgements(int64_t round) {
  return guarded("read", [&] {
    std::map<std::string, RoundJudgement> last;
    SQLite::Statement q(*db_,
                        "SELECT exercise, verdict, checks_passed, checks_total FROM judgements "
                        "WHERE round_id = ? ORDER BY id");
    q.bind(1, round);
    while (q.executeStep())
      last[q.getColumn(0).getString()] = {q.getColumn(1).getString(), q.getColumn(2).getInt(), q.getColumn(3).getInt()};
    return last;
  });
}

void Store::finish_round(int64_t round, const std::string& verdict, double ended, int checks_passed, int checks_total) {
  guarded("write", [&] {
    SQLite::Statement q(*db_,
                        "UPDATE rounds SET verdict = ?, ended = ?, checks_passed = ?, checks_total = ? "
                        "WHERE id = ? AND verdict IS NULL");
    q.bind(1, verdict);
    q.bind(2, ended);
    q.bind(3, checks_passed);
    q.bind(4, checks_total);
    q.bind(5, round);
    q.exec();
  });
}

}  // namespace kata

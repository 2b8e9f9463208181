// `kata dev check`: proves every exercise is complete and every verdict holds on every seed, as rustlings'
// `dev check` does. For each exercise: the folder has what an exercise needs; the reference is accepted,
// the untouched stub compiles and is not accepted, and every case file in .meta/cases/ gets the verdict
// its first line promises (for a wrong answer, failing the named check), each on N seeds; a wrong case that
// names a known mistake must also be the mistake the judge names first.
#include <fmt/format.h>
#include <algorithm>

#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "cli.h"
#include "judge.h"
#include "mistake_header.h"
#include "report.h"

namespace kata {
namespace {

struct DevCheckOptions {
  int seeds = 1;
  std::vector<std::string> ids;
  std::vector<std::string> files;  // name parts: judge only the files whose name holds one
};

bool chosen(const DevCheckOptions& opt, const fs::path& file) {
  if (opt.files.empty()) return true;
  const std::string name = file.filename().string();
  return std::any_of(opt.files.begin(), opt.files.end(),
                     [&](const std::string& part) { return name.find(part) != std::string::npos; });
}

// A file to judge and the verdict it must get on every seed.
struct Expectation {
  std::string exercise;
  fs::path file;
  std::string verdict;  // or "not_accepted" for the stub
  std::string check;    // for a wrong answer: a check that must fail
  std::string mistake;  // the known mistake the judge must name first, if the file is one
  std::vector<std::string> names;  // known mistakes some failed check must name ("// names: a, b")
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "// expect: wrong_answer Suite.Check" on the first line.
std::optional<Expectation> read_expectation(const std::string& exercise, const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  static const std::regex expect(R"(^// expect: (\w+)(?: (\S+))?\s*$)");
  std::smatch m;
  if (!std::regex_match(first, m, expect)) return std::nullopt;
  auto mistake = read_mistake_header(file);
  return Expectation{exercise, file, m[1], m[2], mistake ? mistake->id : "", read_named_mistakes(file)};
}

// What an exercise's folder must hold; each problem as one line.
std::vector<std::string> completeness(const Exercise& e, const std::vector<Expectation>& cases) {
  std::vector<std::string> problems;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  };
  std::string guard = "KATA_" + e.id + "_H";
  std::transform(guard.begin(), guard.end(), guard.begin(), ::toupper);
  need(read_file(e.contract()).find("#ifndef " + guard) != std::string::npos,
       fmt::format("{} has no include guard {}", e.contract().filename().string(), guard));
  for (const char* f : {"reference.cpp", "checks.cpp", "binding.cpp"})
    need(fs::exists(e.meta() / f), fmt::format(".meta/{} is missing", f));
  need(fs::exists(e.stub()), "the stub is missing");
  need(read_file(e.statement()).find("## Example") != std::string::npos,
       "README.md has no '## Example' section (a worked example computed by the reference)");
  need(e.hints.size() >= 3, fmt::format("exercise.toml has {} hints, 3 needed", e.hints.size()));
  need(e.followups.size() >= 3, fmt::format("exercise.toml has {} follow-ups, 3 needed", e.followups.size()));
  auto count = [&](auto pred) { return std::count_if(cases.begin(), cases.end(), pred); };
  auto wrong = count([](const Expectation& c) { return c.verdict != "accepted"; });
  auto right = count([](const Expectation& c) { return c.verdict == "accepted"; });
  need(wrong >= 5, fmt::format(".meta/cases has {} wrong solutions, 5 needed", wrong));
  auto named = count([](const Expectation& c) { return !c.mistake.empty(); });
  need(named >= 5, fmt::format(".meta/cases has {} named mistakes ('// mistake:' and '// why:'), 5 needed", named));
  need(right >= 2, fmt::format(".meta/cases has {} differently-right solutions, 2 needed", right));
  return problems;
}

// Whether a failed check names the known mistake `id`, alone or among equally good matches.
bool names(const Check& c, const std::string& id) {
  if (c.passed || !c.mistake) return false;
  auto is_it = [&](const Mistake& m) { return m.id == id; };
  return is_it(*c.mistake) || std::any_of(c.also.begin(), c.also.end(), is_it);
}

// "" when the judgement is what the file promised, else what went wrong.
std::string mismatch(const Expectation& want, const Judgement& got) {
  std::string verdict = to_string(got.verdict);
  if (want.verdict == "not_accepted") {
    if (got.verdict == Verdict::accepted) return "the stub is accepted";
    if (got.verdict == Verdict::compile_error) return "the stub does not compile: " + got.message.substr(0, 200);
    return "";
  }
  if (verdict != want.verdict)
    return fmt::format("{} instead of {}: {}", verdict, want.verdict, got.message.substr(0, 200));
  if (!want.check.empty()) {
    auto failed = std::find_if(got.checks.begin(), got.checks.end(),
                               [&](const Check& c) { return c.name == want.check && !c.passed; });
    if (failed == got.checks.end()) return fmt::format("{} passed, but the file promises it fails", want.check);
  }
  for (const auto& id : want.names)
    if (std::none_of(got.checks.begin(), got.checks.end(), [&](const Check& c) { return names(c, id); }))
      return fmt::format("no failed check names the known mistake {}", id);
  if (want.mistake.empty()) return "";
  const Check* leading = leading_failure(got);
  if (!leading || !leading->mistake) return "the judge names no known mistake, not this one";
  if (!names(*leading, want.mistake))
    return fmt::format("the judge names the known mistake {} (in {}), not this one", leading->mistake->id,
                       leading->name);
  return "";
}

std::vector<Expectation> expectations(const Exercise& e) {
  std::vector<Expectation> all = {{e.id, e.reference(), "accepted", "", "", {}},
                                  {e.id, e.stub(), "not_accepted", "", "", {}}};
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(e.meta() / "cases", ec)) files.push_back(f.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (auto c = read_expectation(e.id, f))
      all.push_back(*c);
    else
      all.push_back({e.id, f, "missing '// expect:' line", "", "", {}});
  }
  return all;
}

void run_dev_check(Context& ctx, const DevCheckOptions& opt) {
  if (opt.seeds < 1) throw UsageError("--seeds must be 1 or more");
  auto catalogue = ctx.catalogue();
  std::vector<const Exercise*> exercises;
  for (const auto& id : opt.ids) exercises.push_back(&ctx.exercise(catalogue, id));
  if (opt.ids.empty())
    for (const auto& e : catalogue.all()) exercises.push_back(&e);

  int failed = 0, passed = 0;
  if (opt.ids.empty())
    for (const auto& b : catalogue.broken()) {
      fmt::print("  ✗ {}: {}\n", b.id, b.problem);
      ++failed;
    }
  // Every part of every multi-part round is an exercise of the catalogue.
  for (const auto& plan : load_round_plans(ctx.source_dir / "exercises" / "rounds.toml"))
    for (const auto& part : plan.parts)
      if (!catalogue.find(part.exercise)) {
        fmt::print("  ✗ rounds.toml: round {} has a part {}, which is not an exercise\n", plan.name, part.exercise);
        ++failed;
      }
  std::vector<std::pair<const Exercise*, Expectation>> work;
  for (const auto* e : exercises) {
    auto cases = expectations(*e);
    std::vector<Expectation> case_files(cases.begin() + 2, cases.end());
    for (const auto& problem : completeness(*e, case_files)) {
      fmt::print("  ✗ {}: {}\n", e->id, problem);
      ++failed;
    }
    for (const auto& c : cases)
      if (chosen(opt, c.file)) work.push_back({e, c});
  }

  // Two files at a time: each judge keeps about one core busy.
  std::mutex mutex;
  size_t next = 0;
  auto worker = [&] {
    for (;;) {
      std::unique_lock lock(mutex);
      if (next == work.size()) return;
      auto [e, want] = work[next++];
      lock.unlock();
      std::vector<uint64_t> seeds;
      for (int i = 0; i < opt.seeds; ++i) seeds.push_back(random_seed());
      std::string problem = want.verdict.rfind("missing", 0) == 0 ? want.verdict : "";
      if (problem.empty()) {
        try {
          auto judgements = judge_seeds(load_recipe(ctx.judge_dir, e->id), *e, want.file, seeds, [](const auto&) {});
          for (const auto& j : judgements) {
            if (auto m = mismatch(want, j); !m.empty()) {
              problem = fmt::format("seed {}: {}", j.seed, m);
              break;
            }
          }
        } catch (const std::exception& err) {
          problem = err.what();
        }
      }
      lock.lock();
      auto name = fmt::format("{}/{}", e->id, fs::relative(want.file, e->dir).string());
      if (problem.empty()) {
        ++passed;
        fmt::print("  ✓ {}: {} on {} seed{}\n", name, want.verdict, opt.seeds, opt.seeds == 1 ? "" : "s");
      } else {
        ++failed;
        fmt::print("  ✗ {}: {}\n", name, problem);
      }
      std::fflush(stdout);
    }
  };
  std::thread other(worker);
  worker();
  other.join();
  // The plain closing line CI reads.
  fmt::print("{} passed, {} failed\n", passed, failed);
  ctx.exit_code = failed == 0 ? 0 : 1;
}

}  // namespace

void setup_dev(CLI::App& app, Context& ctx) {
  auto* dev = app.add_subcommand("dev", "for contributors: check every exercise");
  dev->require_subcommand(1);
  auto opt = std::make_shared<DevCheckOptions>();
  auto* check = dev->add_subcommand("check", "exercises complete, verdicts the same on every seed");
  check->add_option("--seeds", opt->seeds, "judge every file on this many seeds (default 1)");
  check->add_option("--exercise", opt->ids, "only these exercises")->delimiter(',');
  check->add_option("--file", opt->files, "only files whose name holds one of these (e.g. wrong_shuffle)")
      ->delimiter(',');
  check->callback([&ctx, opt] { run_dev_check(ctx, *opt); });
}

}  // namespace kata

// The exercises on disk: exercises/<id>/ with its statement, contract, stub and exercise.toml.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kata {

namespace fs = std::filesystem;

// Operations an exercise asks the learner to build themselves: any symbol starting with one of `symbols`
// (demangled, e.g. "at::_ops::_scaled_dot_product_attention") in their compiled file rejects it.
struct Forbidden {
  std::vector<std::string> symbols;
  std::string why;
};

struct Exercise {
  std::string id, title, topic, difficulty;
  int minutes = 0;                 // expected time in an interview
  double time_limit_seconds = 10;  // CPU time of the learner's code over all hidden checks
  int64_t memory_limit_mb = 768;   // memory of the learner's code: max(768, 4 × the reference's peak)
  std::vector<std::string> hints;  // from a nudge to nearly the answer
  std::vector<std::string> followups;
  std::vector<Forbidden> forbidden;
  fs::path dir;

  fs::path statement() const { return dir / "README.md"; }
  fs::path stub() const { return dir / (id + ".cpp"); }
  fs::path contract() const { return dir / (id + ".h"); }
  // What the learner does not see: the reference, the hidden checks, the binding, the judged cases.
  fs::path meta() const { return dir / ".meta"; }
  fs::path reference() const { return meta() / "reference.cpp"; }
};

// One item of the readiness checklist (exercises/checklist.toml) and the exercises that practise it,
// some of which may not be written yet.
struct ChecklistItem {
  std::string name;
  std::vector<std::string> exercises;
};
// Throws std::runtime_error naming the file when it is missing or malformed.
std::vector<ChecklistItem> load_checklist(const fs::path& file);

// A multi-part mock round as interviews run them (exercises/rounds.toml): one clock, each part unlocked
// when the one before it is accepted ("now make it multi-head").
struct RoundPart {
  std::string exercise;
  std::string prompt;  // what the interviewer says when the part starts
};
struct RoundPlan {
  std::string name, title;
  double minutes = 45;
  std::vector<RoundPart> parts;
};
// Throws std::runtime_error naming the file when it is missing or malformed.
std::vector<RoundPlan> load_round_plans(const fs::path& file);

// An exercise folder whose exercise.toml is missing a field or malformed (one being written, say): left out
// of the catalogue, so the others stay usable, and reported wherever it is asked for.
struct BrokenExercise {
  std::string id, problem;
};

class Catalogue {
 public:
  static Catalogue load(const fs::path& exercises_dir);

  const std::vector<Exercise>& all() const { return exercises_; }
  const std::vector<BrokenExercise>& broken() const { return broken_; }
  const Exercise* find(const std::string& id) const;
  // "unknown exercise 'rop'; did you mean 'rope'? Exercises: ...", or what keeps a broken one from loading.
  std::string unknown_message(const std::string& id) const;

 private:
  std::vector<Exercise> exercises_;
  std::vector<BrokenExercise> broken_;
};

}  // namespace kata

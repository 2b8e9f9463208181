// Judging as the verbs need it: check the file, judge it, record the verdict; and noticing saves.
#pragma once

#include <optional>

#include "cli.h"
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

// Notices saves of one file with inotify. It watches the directory, because many editors save by writing
// a new file and renaming it over the old one.
class FileWatch {
 public:
  explicit FileWatch(const fs::path& file);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // True when the file was saved within timeout_ms; a burst of events counts as one save.
  bool changed(int timeout_ms);

 private:
  bool saw_save(int timeout_ms);
  int fd_ = -1;
  std::string name_;
};

}  // namespace kata

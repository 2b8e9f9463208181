// The learner's files, outside exercises/ so the stubs stay pristine and `git pull` never conflicts:
// workspace/attempts/<id>.cpp, workspace/backups/, workspace/rounds/<round>/<id>.cpp, workspace/kata.db.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalogue.h"

namespace kata {

// The workspace or its database cannot be written (a read-only mount, permissions): exit 3, and not to be
// mistaken for a damaged database.
struct NotWritable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Workspace {
  fs::path root;
  // Where the judge's flags and the contracts are, for the editor support below.
  fs::path judge_dir, exercises_dir;

  fs::path attempt(const std::string& id) const { return root / "attempts" / (id + ".cpp"); }
  fs::path round_file(int64_t round, const std::string& id) const {
    return root / "rounds" / std::to_string(round) / (id + ".cpp");
  }
  fs::path database() const { return root / "kata.db"; }

  // Creates the workspace if needed; throws NotWritable naming the path when it or the database is read-only.
  void require_writable() const;
  // Copies the stub to `to` unless a file is already there; true when it created one.
  bool copy_stub(const Exercise& e, const fs::path& to) const;
  // The stub as a round's file, saying how to hand it in: the stub's "./kata judge ID" would judge the
  // practice attempt, not this file. False when the file exists.
  bool create_round_file(const Exercise& e, int64_t round) const;
  // What clangd needs to understand a file in `dir` (LibTorch, the contracts, the standard), written there as
  // compile_flags.txt, so completion and diagnostics work in any clangd-based editor with no set-up. Nothing
  // while the judge is not built yet; the file is rewritten only when it differs.
  void editor_support(const fs::path& dir) const;
  // Moves the attempt to workspace/backups/<id>-<time>.cpp and starts again from the stub; the backup path.
  fs::path reset(const Exercise& e) const;

 private:
  bool create(const fs::path& to, const std::string& text) const;  // false when `to` exists
};

}  // namespace kata

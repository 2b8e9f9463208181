#include "workspace.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace kata {

bool Workspace::copy_stub(const Exercise& e, const fs::path& to) const {
  if (fs::exists(to)) return false;
  fs::create_directories(to.parent_path());
  // Copy then rename, so a crash never leaves a half-written attempt.
  auto partial = fs::path(to).concat(".partial");
  fs::copy_file(e.stub(), partial, fs::copy_options::overwrite_existing);
  fs::rename(partial, to);
  return true;
}

fs::path Workspace::reset(const Exercise& e) const {
  auto current = attempt(e.id);
  fs::path backup;
  if (fs::exists(current)) {
    fs::create_directories(root / "backups");
    auto now = std::chrono::system_clock::now();
    backup = root / "backups" / fmt::format("{}-{:%Y%m%d-%H%M%S}.cpp", e.id, fmt::localtime(std::chrono::system_clock::to_time_t(now)));
    for (int n = 2; fs::exists(backup); ++n) backup.replace_filename(fmt::format("{}-{}.cpp", backup.stem().string(), n));
    fs::rename(current, backup);
  }
  copy_stub(e, current);
  return backup;
}

}  // namespace kata

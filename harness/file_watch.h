// Noticing saves: what `watch` and mock rounds judge on.
#pragma once

#include <filesystem>
#include <string>

namespace kata {

namespace fs = std::filesystem;

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

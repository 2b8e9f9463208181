#include "file_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <stdexcept>

namespace kata {

FileWatch::FileWatch(const fs::path& file) : name_(file.filename().string()) {
  fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0 || inotify_add_watch(fd_, file.parent_path().c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0)
    throw std::runtime_error("cannot watch " + file.parent_path().string() + " for changes (inotify)");
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) close(fd_);
}

bool FileWatch::saw_save(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  alignas(inotify_event) char buf[4096];
  bool saved = false;
  for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;) {
    for (char* at = buf; at < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(at);
      if (ev->len > 0 && name_ == ev->name) saved = true;
      at += sizeof(inotify_event) + ev->len;
    }
  }
  return saved;
}

bool FileWatch::changed(int timeout_ms) {
  if (!saw_save(timeout_ms)) return false;
  while (saw_save(/*timeout_ms=*/150)) {
  }
  return true;
}

}  // namespace kata

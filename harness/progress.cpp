#include "progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

namespace kata {

StepDisplay::Mode display_mode(bool json) {
  if (json) return StepDisplay::Mode::quiet;
  return isatty(STDERR_FILENO) ? StepDisplay::Mode::spinner : StepDisplay::Mode::lines;
}

void StepDisplay::step(const std::string& label) {
  if (mode_ == Mode::quiet) return;
  if (mode_ == Mode::lines) {
    fmt::print(stderr, "{}...\n", label);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    label_ = label;
  }
  if (!running_.exchange(true)) thread_ = std::thread([this] { spin(); });
}

void StepDisplay::finish() {
  if (!running_.exchange(false)) return;
  thread_.join();
  fmt::print(stderr, "\r\033[K");
}

void StepDisplay::spin() {
  static const char* frames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; running_; ++i) {
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fmt::print(stderr, "\r\033[K{} {} ({:.1f} s)", frames[i % 10], label_, seconds);
    }
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
  }
}

}  // namespace kata

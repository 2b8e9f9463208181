// Shows which step of a judgement is running: a spinner on a terminal, plain lines otherwise, or nothing.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace kata {

class StepDisplay {
 public:
  enum class Mode { spinner, lines, quiet };
  explicit StepDisplay(Mode mode) : mode_(mode) {}
  ~StepDisplay() { finish(); }

  void step(const std::string& label);  // replaces the current step
  void finish();                        // clears the spinner line

 private:
  void spin();
  Mode mode_;
  std::mutex mutex_;
  std::string label_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

StepDisplay::Mode display_mode(bool json);

}  // namespace kata

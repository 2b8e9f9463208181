// Runs a program in its own process group under time, memory and output limits, and reports how it ended.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kata {

struct Limits {
  double cpu_seconds = 10;
  double wall_seconds = 20;          // a hang (deadlock, sleep) uses no CPU, so wall time is limited too
  int64_t memory_bytes = 4LL << 30;  // resident memory; address space only gets a generous backstop
  size_t output_bytes = 8 << 20;     // stdout + stderr; more than this kills the program
  size_t kept_bytes = 64 << 10;      // how much of each stream is kept for the report
};

struct RunResult {
  int exit_code = -1;  // valid when signal == 0
  int signal = 0;
  bool timed_out = false;
  bool memory_exceeded = false;
  bool output_exceeded = false;
  std::string out, err;  // the first kept_bytes of each stream
  bool out_cut = false, err_cut = false;
  double wall_seconds = 0, cpu_seconds = 0;
  int64_t peak_rss_bytes = 0;
};

// Starts argv[0] with exactly `env` as its environment and waits for it, killing its whole process group
// when a limit is crossed. Throws std::runtime_error only when the program cannot be started at all.
RunResult run_limited(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const Limits& limits);

}  // namespace kata

// Runs a program in its own process group under time, memory and output limits, and reports how it ended.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jail.h"
#include "service.h"

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
  bool service_lost = false;  // a served program's service went away without saying how it ended
};

// A started program, waiting for its standard input. Destroying it unsupervised kills its process group.
class Child {
 public:
  ~Child();
  Child(const Child&) = delete;
  bool served() const { return control_fd_ >= 0; }
  Child& operator=(const Child&) = delete;

 private:
  Child() = default;
  friend std::unique_ptr<Child> spawn(const std::vector<std::string>&, const std::map<std::string, std::string>&,
                                      const Limits&, const JailSpec*);
  friend std::unique_ptr<Child> spawn_served(service::Client&, const std::vector<std::string>&,
                                             const std::map<std::string, std::string>&, const Limits&);
  friend RunResult supervise(Child&, const std::string&, const Limits&);
  friend struct Pipes;
  // Whether it has ended, and how (the service reports a served one). A served child whose service went
  // away counts as ended, killed, with `lost` set.
  bool has_ended(service::Ended& ended, bool& lost);
  // Readable once it has ended: the service's report for a served one, else a pidfd (-1 where the
  // kernel has none, and supervise notices the end at its next 20 ms check).
  int ended_fd() const { return served() ? control_fd_ : pidfd_; }
  int pid_ = -1;
  int control_fd_ = -1;  // for a program the judge service started (not this process's child)
  int pidfd_ = -1;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  bool reaped_ = false;
  std::unique_ptr<Cgroup> cgroup_;  // for a jailed program
};

// Starts argv[0] in its own process group with exactly `env` as its environment and the CPU, memory and
// core limits set; with a jail, contained in it (and its memory bounded by a cgroup where there is one).
// Throws std::runtime_error only when the program cannot be started at all.
std::unique_ptr<Child> spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             const Limits& limits, const JailSpec* jail = nullptr);
// The same, started by a judge service instead (see service.h); nullptr when there is none to ask.
// Not for a program the judge must jail: a served program that runs learner's code jails itself (the
// compile service).
std::unique_ptr<Child> spawn_served(service::Client& service, const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env, const Limits& limits);
// Gives the child `input` on stdin, then waits for it, killing its whole process group when a limit is
// crossed. The wall clock starts here: a child may be spawned early and wait for its input.
RunResult supervise(Child& child, const std::string& input, const Limits& limits);
// spawn, then supervise with no input.
RunResult run_limited(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const Limits& limits, const JailSpec* jail = nullptr);

}  // namespace kata

// The checker's side of the trust boundary: the worker process that runs the learner's code, started
// sandboxed, called over a socket, watched against the run's limits, and replaced when it dies. Whatever
// the worker does, the checker gets values or a WorkerError, and records what happened per check.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "../jail.h"
#include "wire.h"

namespace kata_remote {

// The worker's end of its connection to the checker: this descriptor, in both ways a worker starts.
constexpr int kWorkerRpcFd = 3;

struct Limits {
  double cpu_seconds = 10;   // all the learner's code together, per worker process
  double wall_seconds = 16;  // all calls together
  int64_t memory_bytes = 1LL << 30;
  int max_processes = 64;
  size_t output_bytes = 8 << 20;  // more than this ends the run
  size_t kept_output = 4 << 10;   // per check
};

// What ended a call that did not return a value.
enum class Failure { none, load, time_limit, memory_limit, crashed, exited, output_limit, protocol, exception };
const char* failure_name(Failure f);  // "time_limit_exceeded", "runtime_error", ...

struct WorkerError : std::runtime_error {
  Failure failure;
  WorkerError(Failure f, const std::string& what) : std::runtime_error(what), failure(f) {}
};

// What the learner's code did during one check.
struct CheckRecord {
  Failure failure = Failure::none;
  std::string message;  // for a failure: what happened
  std::string output;   // what it printed (bounded)
  bool output_cut = false;
};

struct WorkerConfig {
  std::string host;        // this program, run with --worker for a fresh worker
  std::string learner_so;  // the learner's code and the worker side of the binding
  kata::JailSpec jail;
  Limits limits;
};

class Session {
 public:
  static Session& get();

  // Starts the first worker by forking this process: called before the checks are loaded, so the
  // worker never holds the reference.
  void start(const WorkerConfig& config);
  // Later calls are served by another shared object (a known mistake, trusted code), under fresh limits,
  // as if no check had run yet: loaded into the running worker, whose handlers it replaces, or into a
  // worker forked for it when there is none.
  void serve_with(const std::string& learner_so, const Limits& limits);
  // One request, one reply; throws WorkerError.
  kata_wire::Value request(const kata_wire::Value& message);

  void begin_check();
  CheckRecord end_check();
  // A reply that does not decode: ends the worker, fails the check, throws WorkerError.
  [[noreturn]] void malformed_reply(const std::string& what);
  // Records a failure of the current check (the first one counts), with the call it happened in and
  // without LibTorch's C++ backtrace.
  void fail(Failure f, const std::string& message);
  // The call the learner's code is running now: "causal_attention(q [2, 3, 5, 8] float64, ...), seed 7".
  void set_call(std::string described) { call_ = std::move(described); }
  std::string protections_note() const { return protections_note_; }
  // How much the worker's memory rose while `calls` ran: its cgroup's high-water mark over its usage
  // before, in bytes; nullopt when the kernel cannot say (no memory cgroup, or a mark it cannot reset).
  std::optional<int64_t> memory_rise(const std::function<void()>& calls);
  // The most memory any worker of this run used (its cgroup's high-water mark), 0 when unknown.
  int64_t peak_memory() const;
  // Kills the worker of a host that is leaving (without static destructors), not waiting while it frees its
  // memory: everything it started dies with its namespace, and its cgroup is left for the next judge's
  // clean_leftovers, as the compile service's are.
  void finish();

 private:
  struct Worker;
  void spawn(bool fork_only);
  void ensure_worker();
  void start_worker();
  void load_learner();
  void end_worker();
  kata_wire::Value await_reply();
  [[noreturn]] void lost(Failure f, const std::string& why);
  void drain(int fd, bool& open);
  void reap(bool wait_for_exit);

  WorkerConfig config_;
  std::unique_ptr<Worker> worker_;
  CheckRecord record_;
  size_t total_output_ = 0;
  double wall_used_ = 0;
  int64_t peak_memory_ = 0;            // of the workers that ended
  Failure limit_hit_ = Failure::none;  // the first time or memory limit crossed ends the run
  std::string limit_message_;
  std::string protections_note_;
  std::string call_;
};

// The worker's main loop (after enter_jail): serves requests on rpc_fd until the checker closes it.
[[noreturn]] void serve(int rpc_fd, const kata::Protections& protections);
// `judge_host --worker`: a replacement worker, exec'd fresh so it holds nothing of the checker.
[[noreturn]] void worker_main(int rpc_fd, const kata::JailSpec& jail, const Limits& limits);

}  // namespace kata_remote

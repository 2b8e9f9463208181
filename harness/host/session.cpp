#include "session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

namespace kata_remote {
namespace {

using Clock = std::chrono::steady_clock;
using kata_wire::List;
using kata_wire::Value;

constexpr double kStartSeconds = 30;  // a fresh worker loads LibTorch before it is ready

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return std::string("SIG") + (abbrev ? abbrev : std::to_string(sig)) + " (" + strsignal(sig) + ")";
}

std::string mib(int64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// The worker's end of the connection at kWorkerRpcFd, its output on stdout and stderr, nothing else open.
void wire_child_fds(int rpc, int out, int err) {
  int null = open("/dev/null", O_RDONLY);
  dup2(null, STDIN_FILENO);
  dup2(out, STDOUT_FILENO);
  dup2(err, STDERR_FILENO);
  dup2(rpc, kWorkerRpcFd);
  close_range(kWorkerRpcFd + 1, ~0U, 0);
}

}  // namespace

const char* failure_name(Failure f) {
  switch (f) {
    case Failure::load:
      return "compile_error";  // the code links against something that is not there
    case Failure::time_limit:
      return "time_limit_exceeded";
    case Failure::memory_limit:
      return "memory_limit_exceeded";
    default:
      return "runtime_error";
  }
}

struct Session::Worker {
  pid_t pid = -1;
  int rpc = -1, out = -1, err = -1;
  std::unique_ptr<kata::Cgroup> cgroup;
  kata_wire::FrameReader reader;
  bool loaded = false;
  bool trusted = false;  // forked to run known mistakes, never the learner's code
  int64_t polled_baseline = 0;  // without a cgroup: its memory when ready, LibTorch's own, not the learner's
  // What it has loaded: loading a library again is a no-op for dlopen, so its bindings would not register
  // again and the calls would go to the library loaded last.
  std::set<std::string> libraries;

  ~Worker() {
    for (int fd : {rpc, out, err})
      if (fd >= 0) close(fd);
  }
};

Session& Session::get() {
  static Session session;
  return session;
}

void Session::start(const WorkerConfig& config) {
  config_ = config;
  spawn(/*fork_only=*/true);
}

void Session::spawn(bool fork_only) {
  int sv[2], out[2], err[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0)
    throw WorkerError(Failure::protocol, "cannot create the worker's pipes");
  auto cgroup = std::make_unique<kata::Cgroup>(config_.limits.memory_bytes, config_.limits.max_processes);
  pid_t pid = fork();
  if (pid < 0) throw WorkerError(Failure::protocol, "cannot start a worker");
  if (pid == 0) {
    wire_child_fds(sv[1], out[1], err[1]);
    if (fork_only) worker_main(kWorkerRpcFd, config_.jail, config_.limits);
    std::vector<std::string> args = {config_.host, "--worker",
                                     "--cpu",      std::to_string(config_.limits.cpu_seconds),
                                     "--memory",   std::to_string(config_.limits.memory_bytes),
                                     "--root",     config_.jail.root_mountpoint};
    for (const auto& p : config_.jail.read_only) args.insert(args.end(), {"--ro", p});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char* envp[] = {const_cast<char*>("OMP_NUM_THREADS=1"), const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    execve(argv[0], argv.data(), envp);
    _exit(127);
  }
  close(sv[1]);
  close(out[1]);
  close(err[1]);
  worker_ = std::make_unique<Worker>();
  worker_->pid = pid;
  worker_->rpc = sv[0];
  worker_->out = out[0];
  worker_->err = err[0];
  for (int fd : {sv[0], out[0], err[0]}) set_nonblocking(fd);
  // The worker waits for this byte, so it is in its cgroup before it can start anything.
  char go = cgroup->available() && cgroup->add(pid) ? 1 : 0;
  worker_->cgroup = std::move(cgroup);
  if (write(worker_->rpc, &go, 1) != 1) lost(Failure::crashed, "the worker did not start");
}

void Session::serve_with(const std::string& learner_so, const Limits& limits) {
  config_.learner_so = learner_so;
  config_.limits = limits;
  limit_hit_ = Failure::none;
  wall_used_ = 0;
  total_output_ = 0;
  record_ = CheckRecord{};
  // Never into the learner's worker: what its code left behind could change the mistake's answers.
  if (worker_ && worker_->loaded && worker_->trusted && !worker_->libraries.count(learner_so)) {
    try {
      load_learner();
      return;
    } catch (const WorkerError&) {  // it died: a fresh one below
    } catch (const kata_wire::ProtocolError&) {
    }
  }
  end_worker();
  spawn(/*fork_only=*/true);
  worker_->trusted = true;
}

void Session::ensure_worker() {
  if (!worker_) spawn(/*fork_only=*/false);
  if (worker_->loaded) return;
  try {
    start_worker();
  } catch (const kata_wire::ProtocolError& e) {
    malformed_reply(e.what());
  }
}

void Session::start_worker() {
  // Its first frame says which protections are in force; then it loads the learner's code.
  Value ready = await_reply();
  const List& r = ready.as_list();
  if (r.size() != 2 || r[0].as_string() != "ready") lost(Failure::protocol, "the worker did not start properly");
  auto missing = kata::Protections::from_bits(static_cast<int>(r[1].as_int())).missing();
  if (!missing.empty() && protections_note_.empty()) protections_note_ = missing;
  if (!worker_->cgroup->available()) worker_->polled_baseline = kata::tree_memory(worker_->pid);
  worker_->loaded = true;  // set first: a failed load below is that worker's end
  load_learner();
}

void Session::load_learner() {
  worker_->libraries.insert(config_.learner_so);
  kata_wire::write_frame(worker_->rpc, Value(List{Value("load"), Value(config_.learner_so)}));
  Value loaded = await_reply();
  const List& l = loaded.as_list();
  if (l.empty() || l[0].as_string() != "ok") {
    std::string why = l.size() > 1 ? l.back().as_string() : "unknown";
    lost(Failure::load, "your code could not be loaded: " + why);
  }
}

Value Session::request(const Value& message) {
  // Once the learner's code crossed a time or memory limit, later checks fail at once: a fresh worker for
  // each would only spend the time, or fill the memory, again.
  if (limit_hit_ != Failure::none) lost(limit_hit_, "not run: " + limit_message_);
  ensure_worker();
  kata_wire::write_frame(worker_->rpc, message);  // when it is gone, await_reply says how it ended
  return await_reply();
}

Value Session::await_reply() {
  const auto& limits = config_.limits;
  auto start = Clock::now();
  bool out_open = true, err_open = true;
  // A replacement worker first loads LibTorch: that start is not the learner's time.
  const bool starting = !worker_->loaded;
  // However the wait ends (a reply, a crash, a limit), its time counts against the budget of all calls.
  struct Charge {
    double& used;
    Clock::time_point start;
    bool on;
    ~Charge() {
      if (on) used += std::chrono::duration<double>(Clock::now() - start).count();
    }
  } charge{wall_used_, start, !starting};
  for (;;) {
    pollfd fds[3] = {{worker_->rpc, POLLIN, 0},
                     {out_open ? worker_->out : -1, POLLIN, 0},
                     {err_open ? worker_->err : -1, POLLIN, 0}};
    poll(fds, 3, 10);
    if (fds[1].revents) drain(worker_->out, out_open);
    if (fds[2].revents) drain(worker_->err, err_open);
    if (fds[0].revents) {
      bool alive = worker_->reader.fill(worker_->rpc);
      Value reply;
      try {
        if (worker_->reader.next(reply)) {
          if (worker_->cgroup->oom_killed()) {  // a process of the run was killed for its memory
            reap(/*wait_for_exit=*/false);
            lost(Failure::memory_limit, "used more than " + mib(limits.memory_bytes) + " of memory (the limit)");
          }
          // What it printed before replying is in the pipes now: take it for this check.
          if (out_open) drain(worker_->out, out_open);
          if (err_open) drain(worker_->err, err_open);
          return reply;
        }
      } catch (const kata_wire::ProtocolError& e) {
        reap(/*wait_for_exit=*/false);
        lost(Failure::protocol, std::string("the worker sent a malformed reply (") + e.what() + ")");
      }
      if (!alive) {
        reap(/*wait_for_exit=*/true);
        lost(Failure::crashed, "the worker closed its connection");
      }
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (total_output_ > limits.output_bytes) {
      reap(/*wait_for_exit=*/false);
      lost(Failure::output_limit, "printed more than " + mib(limits.output_bytes) + "; remove the debug output");
    }
    if (starting ? elapsed > kStartSeconds : wall_used_ + elapsed > limits.wall_seconds) {
      reap(/*wait_for_exit=*/false);
      lost(Failure::time_limit, "did not finish within the time limit (" +
                                    std::to_string(static_cast<int>(std::lround(limits.cpu_seconds))) + " s of CPU, " +
                                    std::to_string(static_cast<int>(limits.wall_seconds)) +
                                    " s of wall time for all calls): an endless loop, a wait that never ends, "
                                    "or work far beyond what the checks need?");
    }
    if (worker_->cgroup->oom_killed() ||
        (!worker_->cgroup->available() &&
         kata::tree_memory(worker_->pid) - worker_->polled_baseline > limits.memory_bytes)) {
      reap(/*wait_for_exit=*/false);
      lost(Failure::memory_limit, "used more than " + mib(limits.memory_bytes) + " of memory (the limit)");
    }
  }
}

void Session::drain(int fd, bool& open) {
  char buf[1 << 15];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      total_output_ += static_cast<size_t>(n);
      size_t room =
          record_.output.size() < config_.limits.kept_output ? config_.limits.kept_output - record_.output.size() : 0;
      record_.output.append(buf, std::min(room, static_cast<size_t>(n)));
      if (static_cast<size_t>(n) > room) record_.output_cut = true;
      continue;
    }
    if (n == 0) open = false;
    return;
  }
}

// Reaps the worker, killing it (and everything it started) unless it ended on its own; when it did, throws
// how it ended. After its connection closed, it gets a moment to finish exiting.
void Session::reap(bool wait_for_exit) {
  if (!worker_ || worker_->pid < 0) return;
  int status = 0;
  bool ended_itself = false;
  for (int i = 0; i < (wait_for_exit ? 500 : 1) && !ended_itself; ++i) {
    ended_itself = waitpid(worker_->pid, &status, WNOHANG) == worker_->pid;
    if (!ended_itself && wait_for_exit) usleep(1000);
  }
  if (!ended_itself) {
    kill(worker_->pid, SIGKILL);
    waitpid(worker_->pid, &status, 0);
  }
  worker_->pid = -1;
  worker_->cgroup->kill_all();
  if (!ended_itself) return;  // we stopped it: the caller knows why
  if (worker_->cgroup->oom_killed())
    lost(Failure::memory_limit, "used more than " + mib(config_.limits.memory_bytes) + " of memory (the limit)");
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGXCPU)
      lost(Failure::time_limit, "used more than " + std::to_string(static_cast<int>(config_.limits.cpu_seconds)) +
                                    " s of CPU time (the limit): an endless loop?");
    lost(Failure::crashed, "crashed with " + signal_name(sig));
  }
  lost(Failure::exited, "your code ended the process (exit code " + std::to_string(WEXITSTATUS(status)) +
                            ") before returning: does it call exit(), abort() or std::terminate?");
}

std::optional<int64_t> Session::memory_rise(const std::function<void()>& calls) {
  ensure_worker();
  kata::Cgroup& cgroup = *worker_->cgroup;
  peak_memory_ = std::max(peak_memory_, cgroup.peak_memory());  // the run's mark, before a v1 reset loses it
  if (!cgroup.available() || !cgroup.reset_peak()) {
    calls();
    return std::nullopt;
  }
  const int64_t before = cgroup.memory_now();
  calls();  // a worker lost during them throws: this cgroup is then gone
  return cgroup.peak_since_reset() - before;
}

int64_t Session::peak_memory() const { return std::max(peak_memory_, worker_ ? worker_->cgroup->peak_memory() : 0); }

void Session::finish() {
  if (worker_ && worker_->pid > 0) kill(worker_->pid, SIGKILL);
}

// Kills the worker and everything it started, if it is still there.
void Session::end_worker() {
  if (worker_ && worker_->pid > 0) {
    kill(worker_->pid, SIGKILL);
    waitpid(worker_->pid, nullptr, 0);
    worker_->cgroup->kill_all();
  }
  worker_.reset();
}

void Session::lost(Failure f, const std::string& why) {
  if (worker_) peak_memory_ = std::max(peak_memory_, worker_->cgroup->peak_memory());
  end_worker();
  if ((f == Failure::time_limit || f == Failure::memory_limit) && limit_hit_ == Failure::none) {
    limit_hit_ = f;
    limit_message_ = "an earlier check " + why;
  }
  fail(f, why);
  throw WorkerError(f, why);
}

void Session::malformed_reply(const std::string& what) {
  reap(/*wait_for_exit=*/false);
  lost(Failure::protocol, "the worker sent a malformed reply (" + what + ")");
}

void Session::begin_check() {
  record_ = CheckRecord{};
  call_.clear();
}

CheckRecord Session::end_check() {
  if (worker_ && worker_->loaded) {
    bool open = true;
    drain(worker_->out, open);
    drain(worker_->err, open);
  }
  return std::exchange(record_, CheckRecord{});
}

void Session::fail(Failure f, const std::string& message) {
  if (record_.failure != Failure::none) return;
  record_.failure = f;
  record_.message = message;
  for (const char* backtrace : {"\nException raised from", "\nframe #"})
    record_.message = record_.message.substr(0, record_.message.find(backtrace));
  if (!call_.empty()) record_.message += "\nin " + call_;
}

}  // namespace kata_remote

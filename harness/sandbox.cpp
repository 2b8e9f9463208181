#include "sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

namespace kata {
namespace {

using Clock = std::chrono::steady_clock;

// libtorch maps ~1.2 GB of address space for a few hundred MB resident, and an address-space limit near
// the real need makes it fail or deadlock at start-up. So memory is enforced on resident size below,
// and RLIMIT_AS only stops a runaway far above the limit.
constexpr int64_t kAddressSpaceHeadroom = 8LL << 30;

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             const Limits& limits, int in_fd, int out_fd, int err_fd, const JailSpec* jail,
                             const Cgroup* cgroup) {
  setpgid(0, 0);
  dup2(in_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);

  limit_process(limits.cpu_seconds, limits.memory_bytes + kAddressSpaceHeadroom);
  if (jail) enter_jail(*jail, cgroup);

  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  execve(args[0], args.data(), envp.data());
  dprintf(STDERR_FILENO, "cannot execute %s\n", args[0]);
  _exit(127);
}

// Appends what is readable on fd to `kept` (up to `cap`); returns bytes read, 0 at end of stream.
ssize_t drain(int fd, std::string& kept, bool& cut, size_t cap) {
  char buf[1 << 16];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) {
    size_t room = kept.size() < cap ? cap - kept.size() : 0;
    kept.append(buf, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) cut = true;
  }
  return n;
}

}  // namespace

// A child's standard streams: the child's ends are closed here once it has them.
struct Pipes {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  Pipes() {
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      close_all();  // the destructor of a half-built object does not run
      throw std::runtime_error("cannot create pipes");
    }
  }
  Pipes(const Pipes&) = delete;
  Pipes& operator=(const Pipes&) = delete;
  ~Pipes() { close_all(); }
  void close_all() {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
      if (fd >= 0) close(fd);
  }
  std::unique_ptr<Child> to_child(pid_t pid) {
    auto child = std::unique_ptr<Child>(new Child);
    child->pid_ = pid;
    child->in_fd_ = std::exchange(in[1], -1);
    child->out_fd_ = std::exchange(out[0], -1);
    child->err_fd_ = std::exchange(err[0], -1);
    return child;
  }
};

Child::~Child() {
  if (pid_ > 0 && !reaped_) {
    kill(-pid_, SIGKILL);
    if (control_fd_ < 0) waitpid(pid_, nullptr, 0);  // a served one is reaped by the service
  }
  for (int fd : {in_fd_, out_fd_, err_fd_, control_fd_, pidfd_})
    if (fd >= 0) close(fd);
}

std::unique_ptr<Child> spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                             const Limits& limits, const JailSpec* jail) {
  std::unique_ptr<Cgroup> cgroup;
  if (jail) cgroup = std::make_unique<Cgroup>(limits.memory_bytes, /*max_processes=*/64);
  Pipes pipes;
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork");
  if (pid == 0) exec_child(argv, env, limits, pipes.in[0], pipes.out[1], pipes.err[1], jail, cgroup.get());
  setpgid(pid, pid);  // also here, so the group exists before the first kill
  auto child = pipes.to_child(pid);
  child->pidfd_ = open_pidfd(pid);
  child->cgroup_ = std::move(cgroup);
  return child;
}

std::unique_ptr<Child> spawn_served(service::Client& service, const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& env, const Limits& limits) {
  service::Request request{argv, env, std::filesystem::current_path().string(), limits.cpu_seconds,
                           limits.memory_bytes + kAddressSpaceHeadroom};
  Pipes pipes;
  auto started = service.start_host(request, pipes.in[0], pipes.out[1], pipes.err[1]);
  if (!started) return nullptr;
  auto child = pipes.to_child(started->pid);
  child->control_fd_ = started->control_fd;
  return child;
}

RunResult run_limited(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                      const Limits& limits, const JailSpec* jail) {
  return supervise(*spawn(argv, env, limits, jail), "", limits);
}

bool Child::has_ended(service::Ended& ended, bool& lost) {
  if (control_fd_ < 0) {
    auto got = service::try_reap(pid_);
    if (!got) return false;
    ended = *got;
    return true;
  }
  try {
    auto got = service::poll_ended(control_fd_);
    if (!got) return false;
    ended = *got;
  } catch (const std::runtime_error&) {
    lost = true;
    kill(-pid_, SIGKILL);
    ended.status = SIGKILL;  // as wait4 would have it: killed by SIGKILL
  }
  return true;
}

RunResult supervise(Child& child, const std::string& input, const Limits& limits) {
  // A line or two: it fits in the pipe's buffer, so the write never blocks. When the program is already
  // gone the write fails (the judge ignores SIGPIPE) and the exit status says why.
  [[maybe_unused]] ssize_t written = input.empty() ? 0 : write(child.in_fd_, input.data(), input.size());
  close(child.in_fd_);
  child.in_fd_ = -1;
  pid_t pid = child.pid_;
  pollfd fds[3] = {{child.out_fd_, POLLIN, 0}, {child.err_fd_, POLLIN, 0}, {child.ended_fd(), POLLIN, 0}};
  child.out_fd_ = child.err_fd_ = -1;  // from here on closed as the streams end
  auto start = Clock::now();

  RunResult r;
  size_t total_output = 0;
  int open_streams = 2;
  service::Ended ended;
  auto kill_group = [&] { kill(-pid, SIGKILL); };

  std::optional<Clock::time_point> exited_at;
  // After the exit, read what is still in the pipes, but not forever: a detached grandchild may hold them.
  while (!exited_at || (open_streams > 0 && Clock::now() - *exited_at < std::chrono::seconds(1))) {
    // Wakes for output, at the end, or after 20 ms to check the limits.
    if (poll(fds, 3, 20) > 0) {
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
        ssize_t n = i == 0 ? drain(fds[i].fd, r.out, r.out_cut, limits.kept_bytes)
                           : drain(fds[i].fd, r.err, r.err_cut, limits.kept_bytes);
        if (n <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;
          --open_streams;
        } else {
          total_output += static_cast<size_t>(n);
        }
      }
    }
    if (exited_at) continue;
    r.peak_rss_bytes = std::max(r.peak_rss_bytes, tree_memory(pid));
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (!r.timed_out && !r.memory_exceeded && !r.output_exceeded) {
      r.memory_exceeded = r.peak_rss_bytes > limits.memory_bytes;
      r.timed_out = elapsed > limits.wall_seconds;
      r.output_exceeded = total_output > limits.output_bytes;
      if (r.memory_exceeded || r.timed_out || r.output_exceeded) kill_group();
    }
    if (child.has_ended(ended, r.service_lost)) {
      // A jailed program's own children are in its PID namespace and died with it.
      child.reaped_ = true;
      exited_at = Clock::now();
      fds[2].fd = -1;  // stays readable: no longer a reason to wake
      // Whatever the program left behind in its group goes with it (the service did that for a served
      // one, and its pid may be another process's by now).
      if (child.control_fd_ < 0) kill_group();
    }
  }
  for (int i = 0; i < 2; ++i)
    if (fds[i].fd >= 0) close(fds[i].fd);

  r.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu_seconds = ended.cpu_seconds;
  r.peak_rss_bytes = std::max(r.peak_rss_bytes, ended.max_rss_bytes);
  if (child.cgroup_) {
    r.peak_rss_bytes = std::max(r.peak_rss_bytes, child.cgroup_->peak_memory());
    if (child.cgroup_->oom_killed()) r.memory_exceeded = true;
    child.cgroup_->kill_all();
  }
  if (r.peak_rss_bytes > limits.memory_bytes) r.memory_exceeded = true;
  if (WIFSIGNALED(ended.status)) {
    r.signal = WTERMSIG(ended.status);
    if (r.signal == SIGXCPU) r.timed_out = true;
  } else {
    r.exit_code = WEXITSTATUS(ended.status);
  }
  if (r.cpu_seconds > limits.cpu_seconds) r.timed_out = true;
  return r;
}

}  // namespace kata

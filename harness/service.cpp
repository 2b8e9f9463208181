#include "service.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "jail.h"

namespace kata::service {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxMessage = 1 << 16;
constexpr int kStreams = 3;  // stdin, stdout, stderr of the host
// The launcher takes the socket's lock before the service's program loads LibTorch (a second or more on a
// loaded machine) and hands it over on this descriptor, so judges meanwhile see a service starting and
// do not launch more.
constexpr int kInheritedLockFd = 3;
// A service that accepted but does not answer within this is treated as absent.
constexpr int kReplyMilliseconds = 3000;

fs::path socket_for(const fs::path& run_root, const std::string& stamp) {
  return run_root / ("service-" + stamp + ".sock");
}
std::string lock_for(const std::string& socket) { return socket + ".lock"; }

bool fill_address(sockaddr_un& address, const std::string& path) {
  address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// One message: a JSON text and, optionally, descriptors passed along with it.
bool send_message(int fd, const json& message, const std::vector<int>& fds = {}) {
  std::string text = message.dump();
  iovec iov{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kStreams)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  return sendmsg(fd, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// Receives one message; descriptors that came with it are appended to `fds` (close-on-exec).
// Returns nullopt at the end of the stream, on an error, or for a message that is not JSON.
std::optional<json> receive_message(int fd, std::vector<int>* fds, int flags = 0) {
  std::string text(kMaxMessage, '\0');
  iovec iov{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kStreams)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
  if (n <= 0) return std::nullopt;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    std::vector<int> got(count);
    std::memcpy(got.data(), CMSG_DATA(c), sizeof(int) * count);
    if (fds) fds->insert(fds->end(), got.begin(), got.end());
    else for (int f : got) close(f);
  }
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return std::nullopt;
  text.resize(static_cast<size_t>(n));
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

bool readable_within(int fd, int milliseconds) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, milliseconds) > 0;
}

// The run directory holds the socket: only a directory this user owns and nobody else can write to will
// do, or another user could stand in for the service and receive the judge's descriptors.
bool private_directory(const fs::path& dir) {
  struct stat st {};
  return lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && !(st.st_mode & 022);
}

// The socket's lock on a descriptor of its own (close-on-exec), or -1 when another process holds it.
int open_lock(const std::string& socket) {
  int fd = open(lock_for(socket).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// In the service: the lock its launcher took for it (on kInheritedLockFd), or else one of its own.
int take_lock(const std::string& socket) {
  struct stat inherited {}, file {};
  if (fstat(kInheritedLockFd, &inherited) == 0 && stat(lock_for(socket).c_str(), &file) == 0 &&
      inherited.st_dev == file.st_dev && inherited.st_ino == file.st_ino &&
      flock(kInheritedLockFd, LOCK_EX | LOCK_NB) == 0) {  // ours already: the same open file
    fcntl(kInheritedLockFd, F_SETFD, FD_CLOEXEC);
    return kInheritedLockFd;
  }
  return open_lock(socket);
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// ---- the service's side -------------------------------------------------------------------------------

// In the forked host: the process a fresh host would have been.
void become_host(const Request& request, const std::vector<int>& streams) {
  setpgid(0, 0);
  for (int i = 0; i < kStreams; ++i) dup2(streams[i], i);
  for (int fd : streams) close(fd);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);  // as a host started by the judge, which ignores it
  if (chdir(request.cwd.c_str()) != 0) _exit(127);
  clearenv();
  for (const auto& [k, v] : request.env) setenv(k.c_str(), v.c_str(), 1);
  limit_process(request.cpu_seconds, request.address_space_bytes);
}

// In a process of its own per judgement: forks the host, tells the judge its pid, waits for it and
// reports how it ended. When the judge goes away first, the host is killed. Returns only in the host.
std::vector<std::string> report_host(int conn, const Request& request, const std::vector<int>& streams) {
  signal(SIGCHLD, SIG_DFL);
  pid_t pid = fork();
  if (pid == 0) {
    close(conn);  // the host (and the worker it forks) must not be able to speak for the service
    become_host(request, streams);
    return request.argv;
  }
  for (int fd : streams) close(fd);
  if (pid > 0) setpgid(pid, pid);  // also here, so the group exists before the judge can kill it
  if (pid < 0 || !send_message(conn, {{"pid", pid}})) {
    if (pid > 0) kill(-pid, SIGKILL);
    _exit(1);
  }
  // Wakes when the host ends (its pidfd; without one, every 50 ms) or the judge closes the connection.
  pollfd watch[2] = {{conn, POLLIN, 0}, {open_pidfd(pid), POLLIN, 0}};
  std::optional<Ended> ended;
  while (!(ended = try_reap(pid))) {
    if (poll(watch, 2, 50) > 0 && watch[0].revents != 0) {
      kill(-pid, SIGKILL);  // the judge closed the connection (or wrote garbage)
      watch[0].fd = -1;
    }
  }
  kill(-pid, SIGKILL);  // whatever the host left in its group goes with it, as for a fresh host
  send_message(conn, {{"status", ended->status}, {"cpu", ended->cpu_seconds}, {"max_rss", ended->max_rss_bytes}});
  _exit(0);
}

std::optional<Request> parse_request(const json& m, const std::string& stamp) {
  try {
    if (m.at("stamp").get<std::string>() != stamp) return std::nullopt;
    Request r;
    r.argv = m.at("argv").get<std::vector<std::string>>();
    r.env = m.at("env").get<std::map<std::string, std::string>>();
    r.cwd = m.at("cwd").get<std::string>();
    r.cpu_seconds = m.at("cpu").get<double>();
    r.address_space_bytes = m.at("address_space").get<int64_t>();
    if (r.argv.empty()) return std::nullopt;
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// One connection: a request with the host's three streams; anything else is dropped. Returns the host's
// command line in the host it forked, nullopt in the service.
std::optional<std::vector<std::string>> accept_one(int listener, int lock, const std::string& stamp, bool& stale) {
  int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return std::nullopt;
  std::vector<int> streams;
  std::optional<json> message;
  if (readable_within(conn, kReplyMilliseconds)) message = receive_message(conn, &streams);
  std::optional<Request> request;
  if (message) request = parse_request(*message, stamp);
  if (message && message->is_object() && message->contains("stamp") && (*message)["stamp"] != stamp) stale = true;
  if (request && streams.size() == kStreams) {
    pid_t reporter = fork();
    if (reporter == 0) {
      close(listener);
      close(lock);
      return report_host(conn, *request, streams);
    }
  } else {
    send_message(conn, {{"error", stale ? "stale" : "bad request"}});
  }
  for (int fd : streams) close(fd);
  close(conn);
  return std::nullopt;
}

}  // namespace

std::string stamp_of(const std::string& program, const std::string& runtime) {
  auto identity = [](const std::string& file) -> std::string {
    struct stat st {};
    if (file.empty() || stat(file.c_str(), &st) != 0) return "-";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  };
  std::string host = identity(program);
  if (host == "-") return "";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(host + " " + identity(runtime))));
  return hex;
}

std::vector<std::string> serve(const std::string& path, const std::string& stamp, const std::string& host,
                               const std::string& runtime, double idle_seconds) {
  setsid();
  signal(SIGCHLD, SIG_IGN);  // the reporters reap their hosts; the kernel reaps the reporters
  signal(SIGPIPE, SIG_IGN);
  if (stamp.empty() || stamp_of(host, runtime) != stamp) _exit(2);  // started for another build
  int lock = take_lock(path);
  if (lock < 0) _exit(0);  // another service has this socket
  sockaddr_un address;
  int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  unlink(path.c_str());  // left by a service that was killed: we hold the lock
  if (listener < 0 || !fill_address(address, path) ||
      bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 16) != 0)
    _exit(1);
  auto last_request = Clock::now();
  bool stale = false;
  while (!stale) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 1000) > 0) {
      if (auto host_argv = accept_one(listener, lock, stamp, stale)) return *host_argv;
      last_request = Clock::now();
      continue;
    }
    stale = stamp_of(host, runtime) != stamp ||
            std::chrono::duration<double>(Clock::now() - last_request).count() > idle_seconds;
  }
  unlink(path.c_str());
  _exit(0);
}

// ---- the judge's side ---------------------------------------------------------------------------------

Client::Client(fs::path host, fs::path runtime, fs::path run_root)
    : host_(std::move(host)), runtime_(std::move(runtime)), run_root_(std::move(run_root)) {}

std::optional<Started> Client::start_host(const Request& request, int in_fd, int out_fd, int err_fd) {
  const char* wanted = std::getenv("KATA_SERVICE");
  if ((wanted && std::string(wanted) == "off") || !private_directory(run_root_)) return std::nullopt;
  std::string stamp = stamp_of(host_, runtime_);
  std::string path = socket_for(run_root_, stamp);
  sockaddr_un address;
  if (stamp.empty() || !fill_address(address, path)) return std::nullopt;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    launch(stamp);  // unless one is starting: it holds the lock
    return std::nullopt;
  }
  json message = {{"stamp", stamp},
                  {"argv", request.argv},
                  {"env", request.env},
                  {"cwd", request.cwd},
                  {"cpu", request.cpu_seconds},
                  {"address_space", request.address_space_bytes}};
  std::optional<json> reply;
  if (send_message(fd, message, {in_fd, out_fd, err_fd}) && readable_within(fd, kReplyMilliseconds))
    reply = receive_message(fd, nullptr);
  if (!reply || !reply->contains("pid") || !(*reply)["pid"].is_number_integer() || (*reply)["pid"] <= 0) {
    close(fd);  // if a host was started after all, it is killed when the connection closes
    // A service killed a moment ago still accepts while the kernel frees its memory, and then drops the
    // connection: start another, which stops at once if a live service holds the lock.
    launch(stamp);
    return std::nullopt;
  }
  return Started{(*reply)["pid"].get<pid_t>(), fd};
}

// Detached from the judge (its own session, no terminal), so that it outlives this judgement and a
// Ctrl-C of this one. LibTorch reads its thread settings when it loads, hence the environment.
void Client::launch(const std::string& stamp) {
  // Everything allocated before the fork: the child only makes system calls.
  std::string socket = socket_for(run_root_, stamp), lock_path = lock_for(socket);
  const char* argv[] = {host_.c_str(), "--serve", socket.c_str(), "--stamp",   stamp.c_str(),
                        "--idle",      "900",    "--preload",    runtime_.c_str(), nullptr};
  const char* envp[] = {"OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "PATH=/usr/bin:/bin", nullptr};
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    int lock = open(lock_path.c_str(), O_RDWR | O_CREAT, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) _exit(0);  // a service has it, or is starting
    int null = open("/dev/null", O_RDWR);
    for (int i = 0; i < kStreams; ++i) dup2(null, i);
    if (lock != kInheritedLockFd) dup2(lock, kInheritedLockFd);  // kept across exec: no close-on-exec
    // Nothing else of the judge's: a pipe kept open for 15 minutes would keep whoever reads it (a test
    // runner, `| tee`) waiting for its end.
    close_range(kInheritedLockFd + 1, ~0U, 0);
    execve(argv[0], const_cast<char**>(argv), const_cast<char**>(envp));
    _exit(127);
  }
  waitpid(pid, nullptr, 0);
}

std::optional<Ended> try_reap(pid_t pid) {
  Ended ended;
  rusage usage{};
  if (wait4(pid, &ended.status, WNOHANG, &usage) != pid) return std::nullopt;
  ended.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                      (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  ended.max_rss_bytes = usage.ru_maxrss * 1024LL;
  return ended;
}

std::optional<Ended> poll_ended(int control_fd) {
  pollfd p{control_fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return std::nullopt;
  auto message = receive_message(control_fd, nullptr, MSG_DONTWAIT);
  if (!message || !message->contains("status")) throw std::runtime_error("the judge service went away");
  try {
    return Ended{message->at("status").get<int>(), message->at("cpu").get<double>(),
                 message->at("max_rss").get<int64_t>()};
  } catch (const json::exception&) {
    throw std::runtime_error("the judge service answered garbage");
  }
}

}  // namespace kata::service
